#!/usr/bin/env python3
"""How fast fridgebank-check decides a large history.

Generates linearizable histories by simulation (each client's operations in
sequence; each takes effect at a point inside its [call, return] window;
replies computed by applying the operations in the order of those points),
then times fridgebank-check on them, and on the same with one reply broken.

    bench/check_speed.py [--check build/bin/fridgebank-check] [--ops 100000]
                         [--fridges 100] [--clients 8] [--accounts 10] [--seed 1]

The default shapes are issue 15's: 100 000 operations over 100 fridges with
8 clients each, and the bank (one object) with 8 clients over 10 accounts."""
import argparse, json, random, subprocess, sys, tempfile, time

def windows(rng, clients, n, spread):
    """n operations over `clients` sequential clients: (client, call, lin, ret)."""
    free = [0] * clients
    out = []
    for _ in range(n):
        c = rng.randrange(clients)
        call = free[c] + rng.randint(0, spread)
        lin = call + rng.randint(1, spread)
        ret = lin + rng.randint(1, spread)
        free[c] = ret + 1
        out.append((c, call, lin, ret))
    return sorted(out, key=lambda w: w[2])  # applied in the order they take effect

def line(client, method, target, body, call, ret, status, reply):
    return json.dumps({"ClientId": client, "Input": {"method": method, "target": target, "body": body},
                       "Call": call, "Output": {"status": status, "body": reply}, "Return": ret})

def fridge_history(rng, fridges, clients, n):
    lines = []
    per = n // fridges
    for f in range(fridges):
        name, left = f"f{f}", 1000
        lines.append(line(-1, "POST", "/fridges", {"name": name, "drinks": left}, 0, 1, 201,
                          {"name": name, "drinksLeftInFridge": left, "stopped": False}))
        for c, call, lin, ret in windows(rng, clients, per - 1, 50):
            client = f * clients + c
            roll = rng.random()
            if roll < 0.3:
                lines.append(line(client, "GET", "/fridges/" + name, None, call + 2, ret + 2, 200,
                                  {"name": name, "drinksLeftInFridge": left, "stopped": False}))
                continue
            n_ = rng.randint(1, 3) if roll < 0.65 else -rng.randint(1, 3)
            taken = min(n_, left) if n_ > 0 else n_
            left -= taken
            lines.append(line(client, "POST", f"/fridges/{name}/drink", {"drinksRequested": n_},
                              call + 2, ret + 2, 200,
                              {"drinksTakenOrAdded": taken, "drinksLeftInFridge": left}))
    return lines

def bank_history(rng, accounts, clients, n):
    lines, bal = [], {}
    for a in range(accounts):
        i = f"a{a}"
        lines.append(line(-1, "POST", "/accounts", {"id": i}, 2 * a, 2 * a + 1, 201, {"id": i, "balance": 0}))
        bal[i] = 0
    for a in range(accounts):
        i = f"a{a}"
        bal[i] = 1000
        lines.append(line(-1, "POST", f"/accounts/{i}/deposit", {"amount": 1000}, 100 + 2 * a,
                          101 + 2 * a, 200, {"id": i, "balance": 1000}))
    for c, call, lin, ret in windows(rng, clients, n - 2 * accounts, 50):
        call, ret = call + 1000, ret + 1000
        roll = rng.random()
        if roll < 0.2:
            snap = [{"id": k, "balance": v} for k, v in sorted(bal.items())]
            lines.append(line(c, "GET", "/accounts", None, call, ret, 200,
                              {"accounts": snap, "total": sum(bal.values()), "next": None}))
            continue
        if roll < 0.4:
            i = f"a{rng.randrange(accounts)}"
            lines.append(line(c, "GET", "/accounts/" + i, None, call, ret, 200, {"id": i, "balance": bal[i]}))
            continue
        f, t = rng.sample(sorted(bal), 2)
        amount = rng.randint(1, 50)
        body = {"from": f, "to": t, "amount": amount}
        if bal[f] < amount:
            lines.append(line(c, "POST", "/transfers", body, call, ret, 409,
                              {"error": "insufficient_funds", "message": "m", "balance": bal[f]}))
            continue
        bal[f] -= amount
        bal[t] += amount
        lines.append(line(c, "POST", "/transfers", body, call, ret, 200,
                          {"from": {"id": f, "balance": bal[f]}, "to": {"id": t, "balance": bal[t]}}))
    return lines

def timed(check, path):
    started = time.monotonic()
    r = subprocess.run([check, path], capture_output=True, text=True)
    return r.returncode, time.monotonic() - started, r.stdout.strip().splitlines()[-1]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", default="build/bin/fridgebank-check")
    ap.add_argument("--ops", type=int, default=100000)
    ap.add_argument("--fridges", type=int, default=100)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    for name, lines in (("fridges", fridge_history(rng, a.fridges, a.clients, a.ops)),
                        ("bank", bank_history(rng, a.accounts, a.clients, a.ops))):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write("\n".join(lines) + "\n")
        code, secs, summary = timed(a.check, f.name)
        print(f"{name}: {len(lines)} operations, exit {code}, {secs:.2f} s  ({summary})")
        # One reply in the middle made wrong: the violation must be found too.
        broken = list(lines)
        for i in range(len(broken) // 2, len(broken)):
            op = json.loads(broken[i])
            if op["Input"]["method"] == "GET" and "balance" in op["Output"]["body"] or \
               "drinksLeftInFridge" in op["Output"]["body"] and op["Input"]["method"] == "GET":
                body = op["Output"]["body"]
                key = "balance" if "balance" in body else "drinksLeftInFridge"
                body[key] += 1000
                broken[i] = json.dumps(op)
                break
        with open(f.name, "w") as out:
            out.write("\n".join(broken) + "\n")
        code, secs, summary = timed(a.check, f.name)
        print(f"{name}, one read wrong: exit {code}, {secs:.2f} s  ({summary})")

if __name__ == "__main__":
    sys.exit(main())
