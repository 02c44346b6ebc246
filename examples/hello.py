def main(args):
    name = args.get("name", "world")
    print(f"greeting {name}")
    return {"greeting": f"Hello, {name}!"}
