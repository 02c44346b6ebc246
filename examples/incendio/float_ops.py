# Incendio workload "Floating Point" (FunctionBench's float_operation, seed 002 §VIII-A): sin, cos and
# sqrt over n numbers, summed. Args: n (default 100000).
import math


def main(args):
    n = int(args.get("n", 100000))
    if n < 1 or n > 50_000_000:
        return {"error": "n must be in [1, 50000000]"}
    total = 0.0
    for i in range(n):
        x = float(i)
        total += math.sin(x) + math.cos(x) + math.sqrt(x)
    return {"n": n, "sum": total}
