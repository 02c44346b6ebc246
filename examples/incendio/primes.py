# Incendio workload "Prime Number" (ServerlessBench, seed 002 §VIII-A): counts the primes below `limit`
# with a sieve of Eratosthenes and returns the count and the largest. Args: limit (default 200000).


def main(args):
    limit = int(args.get("limit", 200000))
    if limit < 2 or limit > 20_000_000:
        return {"error": "limit must be in [2, 20000000]"}
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for p in range(2, int(limit ** 0.5) + 1):
        if sieve[p]:
            sieve[p * p::p] = bytes(len(range(p * p, limit, p)))
    count = sum(sieve)
    largest = max(i for i in range(limit - 1, 0, -1) if sieve[i]) if count else 0
    return {"limit": limit, "count": count, "largest": largest}
