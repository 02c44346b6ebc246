# Incendio workload "Request" (an HTTP-style request handler, seed 002 §VIII-A): parses a raw HTTP/1.1
# request given as text, routes it, and renders the response a web handler would (status, headers, JSON
# body). Args: request (the raw request; default a POST /api/orders with a JSON body of `items` orders).
import json

ROUTES = {("GET", "/health"), ("POST", "/api/orders"), ("GET", "/api/orders")}


def default_request(items):
    body = json.dumps({"orders": [{"id": i, "sku": "sku-%d" % (i % 7), "qty": 1 + i % 3,
                                   "price": 9.5 + i % 5} for i in range(items)]})
    return ("POST /api/orders?source=bench HTTP/1.1\r\nHost: example.test\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


def parse(raw):
    head, _, body = raw.partition("\r\n\r\n")
    lines = head.split("\r\n")
    method, target, version = lines[0].split(" ")
    path, _, query = target.partition("?")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    return method, path, params, headers, body


def main(args):
    raw = args.get("request") or default_request(int(args.get("items", 200)))
    try:
        method, path, params, headers, body = parse(raw)
    except ValueError:
        return {"status": 400, "body": {"error": "malformed request line"}}
    if (method, path) not in ROUTES:
        return {"status": 404, "body": {"error": "no route for %s %s" % (method, path)}}
    if method == "POST":
        if headers.get("content-type") != "application/json":
            return {"status": 415, "body": {"error": "expected application/json"}}
        orders = json.loads(body).get("orders", [])
        total = sum(o["qty"] * o["price"] for o in orders)
        by_sku = {}
        for o in orders:
            by_sku[o["sku"]] = by_sku.get(o["sku"], 0) + o["qty"]
        out = {"accepted": len(orders), "total": round(total, 2), "by_sku": by_sku, "source": params.get("source")}
        return {"status": 201, "headers": {"Content-Type": "application/json"}, "body": out}
    return {"status": 200, "headers": {"Content-Type": "application/json"}, "body": {"ok": True}}
