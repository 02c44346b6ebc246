# Incendio workload "Matrix Multiplication" (FunctionBench's matmul, seed 002 §VIII-A), in pure Python:
# multiplies two n x n matrices of seeded pseudo-random numbers and returns the trace of the product.
# Args: n (default 64), seed (default 1).
import random


def main(args):
    n = int(args.get("n", 64))
    if n < 1 or n > 400:
        return {"error": "n must be in [1, 400]"}
    rng = random.Random(int(args.get("seed", 1)))
    a = [[rng.random() for _ in range(n)] for _ in range(n)]
    b = [[rng.random() for _ in range(n)] for _ in range(n)]
    bt = list(zip(*b))
    c = [[sum(x * y for x, y in zip(row, col)) for col in bt] for row in a]
    return {"n": n, "trace": sum(c[i][i] for i in range(n))}
