#!/usr/bin/env python3
"""Round trips between tokenstore and the real Zoho SDK FileStores (called by ../interop.sh).

  harness.py --bin TOKENSTORE --cache DIR --work DIR [python8 python2 node8 node2]

For each SDK: the SDK writes a store; tokenstore must read exactly what the SDK's own
get_tokens returns; tokenstore saves one token and deletes one; the SDK must read the file,
see the new token and not the deleted one; the SDK saves again and tokenstore reads again.
Prints `PASS name` / `FAIL name: reason` per check and `N passed, M failed`; exits 1 on
any failure. Standard library only (runs under any python3 >= 3.6).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = ["id", "user_name", "client_id", "client_secret", "refresh_token", "access_token",
          "grant_token", "expiry_time", "redirect_url", "api_domain"]
FUTURE = "4102444800000"   # 2100-01-01
PAST = "1000000000000"     # 2001-09-09
CLIENT = "1000.APPCLIENT0000000000000000000000"
SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678ab"
CALLBACK = "https://app.example.com/oauth/callback"

SDKS = {
    # name: (kind, cache subdir, package dir under it (node) or None, 2.x layout?)
    "python8": ("python", "py8", None, False),
    "python2": ("python", "py2", None, True),
    "node8": ("node", "node8", "node_modules/@zohocrm/nodejs-sdk-8.0", False),
    "node2": ("node", "node2", "node_modules/@zohocrm/nodejs-sdk-2.0", True),
}


def tok(**kw):
    return {f: kw.get(f) for f in FIELDS if f != "id" or kw.get("id") is not None}


def sdk_tokens(name):
    """About six varied tokens, each a value this SDK's own file format can hold."""
    python = name.startswith("python")
    v2 = name.endswith("2")
    org = "" if v2 else ":60012345678"  # the 8.0 SDKs name users `email:org_id`
    out = [
        tok(user_name="alice@example.com" + org, client_id=CLIENT, client_secret=SECRET,
            refresh_token="1000.rt.alice.0001", access_token="1000.at.alice.0001",
            expiry_time=FUTURE, redirect_url=CALLBACK, api_domain="https://www.zohoapis.com"),
        # a comma (and a quote) only where the format quotes: Python's csv module
        tok(user_name="Doe, John <john@example.com>" if python else "bob@example.eu",
            client_id=CLIENT, client_secret=SECRET, refresh_token="1000.rt.bob.0002",
            access_token="1000.at.bob.0002", expiry_time="1767222000000",
            redirect_url='https://app.example.com/cb?state="q"' if python else CALLBACK,
            api_domain="https://www.zohoapis.eu"),
        tok(user_name="zoë.ünïcødé+日本語@example.jp", client_id=CLIENT, client_secret=SECRET,
            refresh_token="1000.rt.unicode.0003", access_token="1000.at.unicode.0003",
            expiry_time="1767232800000", redirect_url=CALLBACK, api_domain="https://www.zohoapis.jp"),
        # empty api_domain (and grant + refresh, no access token)
        tok(user_name="dave@example.com", client_id=CLIENT, client_secret=SECRET,
            refresh_token="1000.rt.dave.0004", grant_token="1000.grant.dave.0004",
            redirect_url=CALLBACK, api_domain=""),
        # expired; tokenstore deletes this one
        tok(user_name="erin@example.com", client_id=CLIENT, client_secret=SECRET,
            refresh_token="1000.rt.erin.0005", access_token="1000.at.erin.0005", expiry_time=PAST,
            redirect_url="https://app.example.com/cb?state=x&scope=ZohoCRM.modules.ALL",
            api_domain="https://www.zohoapis.com"),
    ]
    if v2:
        # the 2.x stores need a user e-mail on every save
        out.append(tok(user_name="frank@example.com", client_id="1000.REFRESHONLY000000000000000006",
                       client_secret="0000000000000000000000000000000000000006",
                       refresh_token="1000.rt.refreshonly.0006"))
    else:
        # self client: access token only, no user, no client
        out.append(tok(access_token="1000.at.selfclient.0006", expiry_time=FUTURE,
                       api_domain="https://www.zohoapis.com.cn"))
    if v2:
        for t in out:
            t.pop("api_domain", None)
    return out


def ts_token(name):
    t = tok(user_name="tokenstore.new@example.com", client_id="1000.TSCLIENT00000000000000000000101",
            client_secret="0000000000000000000000000000000000000101",
            refresh_token="1000.rt.tsnew.0101", access_token="1000.at.tsnew.0101",
            expiry_time=FUTURE, redirect_url=CALLBACK, api_domain="https://www.zohoapis.eu")
    if name.endswith("2"):
        t.pop("api_domain")
    return t


def last_sdk_token(name):
    t = tok(user_name="grace@example.com", client_id=CLIENT, client_secret=SECRET,
            refresh_token="1000.rt.grace.0007", access_token="1000.at.grace.0007",
            expiry_time=FUTURE, redirect_url=CALLBACK, api_domain="https://www.zohoapis.in")
    if name.endswith("2"):
        t.pop("api_domain")
    return t


# ---------------------------------------------------------------- helpers

def norm_value(v):
    if v is None:
        return None
    v = str(v)
    return v if v != "" else None


def norm(t, v2):
    """Ten fields, "" == absent; a 2.x SDK has no api_domain, so it is not compared."""
    out = {f: norm_value(t.get(f)) for f in FIELDS}
    if v2:
        out["api_domain"] = None
    return out


def short(v, n=60):
    s = repr(v)
    return s if len(s) <= n else s[: n - 3] + "..."


def one_line(text, n=400):
    text = " | ".join(l for l in (text or "").strip().splitlines() if l.strip())
    return text if len(text) <= n else text[: n - 3] + "..."


def diff_lists(a, b, a_name, b_name, v2):
    """'' if the two token lists hold the same tokens (order ignored), else a description."""
    na = [norm(t, v2) for t in a]
    nb = [norm(t, v2) for t in b]
    key = lambda t: json.dumps(t, sort_keys=True)
    if sorted(map(key, na)) == sorted(map(key, nb)):
        return ""
    problems = []
    if len(na) != len(nb):
        problems.append("%s has %d tokens, %s has %d" % (a_name, len(na), b_name, len(nb)))
    by_a, by_b = {}, {}
    for t in na:
        by_a.setdefault(t["id"], []).append(t)
    for t in nb:
        by_b.setdefault(t["id"], []).append(t)
    for i in sorted(set(by_a) | set(by_b), key=str):
        ta, tb = by_a.get(i, []), by_b.get(i, [])
        if len(ta) > 1 or len(tb) > 1:
            problems.append("id %s appears %d times in %s, %d in %s" % (i, len(ta), a_name, len(tb), b_name))
        if not ta:
            problems.append("only %s has id %s" % (b_name, short(i)))
        elif not tb:
            problems.append("only %s has id %s" % (a_name, short(i)))
        else:
            for f in FIELDS:
                if ta[0][f] != tb[0][f]:
                    problems.append("id %s %s: %s=%s %s=%s" % (short(i, 30), f, a_name, short(ta[0][f]),
                                                              b_name, short(tb[0][f])))
    more = "" if len(problems) <= 4 else " (+%d more)" % (len(problems) - 4)
    return "; ".join(problems[:4]) + more


def file_shape(path):
    """The properties of a file's flavour that a writer must keep."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return {"error": str(e)}
    lines = data.split(b"\n")
    header = lines[0].rstrip(b"\r")
    return {
        "header": header.decode("utf-8", "replace"),
        "line ends": "CRLF" if b"\r\n" in data else "LF",
        "final newline": data.endswith(b"\n"),
        "blank lines": sum(1 for l in lines[1:-1] if l.strip(b"\r") == b""),
        "has quotes": b'"' in data,
    }


class Runner:
    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.failed = 0

    def check(self, name, problem):
        """problem: '' / None for a pass, else the reason."""
        if problem:
            self.failed += 1
            print("FAIL %s: %s" % (name, problem), flush=True)
        else:
            self.passed += 1
            print("PASS %s" % name, flush=True)

    def run(self, argv, stdin=None, timeout=120):
        try:
            p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=timeout)
            return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            return 124, "", "timed out after %ss" % timeout
        except OSError as e:
            return 127, "", str(e)

    # the SDK side -----------------------------------------------------------
    def sdk(self, name, path, cmd, *args, data=None):
        """-> (result, error): error is None on success."""
        kind, sub, pkg, _ = SDKS[name]
        base = os.path.join(self.args.cache, sub)
        if kind == "python":
            argv = [os.path.join(base, "bin", "python"), os.path.join(HERE, "sdk_python.py"), path, cmd]
        else:
            argv = [self.args.node, os.path.join(HERE, "sdk_node.mjs"), os.path.join(base, pkg), path, cmd]
        stdin = None if data is None else json.dumps(data).encode()
        rc, out, err = self.run(argv + list(args), stdin)
        try:
            res = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return None, "driver exit %d, no JSON: %s" % (rc, one_line(err or out))
        if not res.get("ok"):
            return None, res.get("error") or "failed"
        if res.get("unhandled_rejections"):
            return res.get("result"), "unhandled promise rejection: " + "; ".join(res["unhandled_rejections"])
        return res.get("result"), None

    # the tokenstore side ----------------------------------------------------
    def ts(self, path, *args):
        return self.run([self.args.bin, "--store", "file:" + path] + list(args))

    def ts_list(self, path):
        """-> (tokens, error)"""
        rc, out, err = self.ts(path, "list", "--format", "json", "--reveal")
        if rc != 0:
            return None, "tokenstore list exit %d: %s" % (rc, one_line(err))
        try:
            data = json.loads(out)
        except ValueError as e:
            return None, "tokenstore list printed no JSON array (%s): %s" % (e, one_line(out, 120))
        if not isinstance(data, list):
            return None, "tokenstore list printed %s, not an array" % type(data).__name__
        return data, None

    # one SDK ------------------------------------------------------------------
    def one(self, name):
        kind, sub, pkg, v2 = SDKS[name]
        base = os.path.join(self.args.cache, sub)
        ready = os.path.exists(os.path.join(base, "bin", "python")) if kind == "python" \
            else os.path.isdir(os.path.join(base, pkg))
        if not ready:
            self.check(name + "/setup", "SDK not installed under %s (see interop.sh output)" % base)
            return
        work = os.path.join(self.args.work, name)
        os.makedirs(work, exist_ok=True)
        path = os.path.join(work, "tokens.csv")
        if os.path.exists(path):
            os.remove(path)
        c = lambda check, problem: self.check("%s/%s" % (name, check), problem)

        # (a) the SDK writes a store
        written, err = self.sdk(name, path, "save", data=sdk_tokens(name))
        c("sdk-writes-store", err)
        ids = [t["id"] for t in (written or [])]
        sdk1, err1 = self.sdk(name, path, "list")
        if err1:
            print("  note: the SDK cannot read its own file: %s" % err1)
        before = file_shape(path)

        # (b) tokenstore reads it as the SDK does
        ts1, err = self.ts_list(path)
        c("ts-list", err)
        if ts1 is None or sdk1 is None:
            c("ts-list-equals-sdk", "no list to compare (%s)" % (err or err1))
        else:
            c("ts-list-equals-sdk", diff_lists(sdk1, ts1, "sdk", "tokenstore", v2))

        # values this flavour cannot hold are refused, and the file is left as it was (on a copy)
        if kind == "node":
            self.refused(name, path, "ts-refuses-comma",
                         ["--user-name", "Doe, John <john@example.com>", "--refresh-token", "1000.rt.x.0009",
                          "--client-id", CLIENT, "--client-secret", SECRET])
        if v2:
            self.refused(name, path, "ts-refuses-api-domain",
                         ["--user-name", "api@example.com", "--refresh-token", "1000.rt.x.0010",
                          "--client-id", CLIENT, "--client-secret", SECRET,
                          "--api-domain", "https://www.zohoapis.com"])

        # (c) tokenstore saves one token and deletes one
        new = ts_token(name)
        argv = ["save", "--format", "json", "--reveal"]
        for f in FIELDS[1:]:
            if new.get(f) is not None:
                argv += ["--" + f.replace("_", "-"), new[f]]
        rc, out, err = self.ts(path, *argv)
        new_id = None
        if rc == 0:
            try:
                new_id = str(json.loads(out)["id"])
            except (ValueError, KeyError, TypeError) as e:
                rc, err = -1, "save printed no token JSON with an id (%s): %s" % (e, one_line(out, 120))
        c("ts-save", None if rc == 0 else "exit %d: %s" % (rc, one_line(err)))
        gone = ids[4] if len(ids) > 4 else None  # erin's (expired) token
        if gone is None:
            c("ts-delete", "the SDK assigned no id to delete")
        else:
            rc, out, err = self.ts(path, "delete", "--strict", gone)
            c("ts-delete", None if rc == 0 else "delete %s exit %d: %s" % (gone, rc, one_line(err)))
        after = file_shape(path)
        changed = ["%s %r -> %r" % (k, before.get(k), after.get(k)) for k in before
                   if before.get(k) != after.get(k)]
        c("ts-keeps-flavour", "; ".join(changed))

        # (d) the SDK reads tokenstore's file
        sdk2, err = self.sdk(name, path, "list")
        c("sdk-reads-after-ts", err)
        if new_id is None:
            c("sdk-sees-ts-token", "tokenstore saved no token")
        elif sdk2 is None:
            c("sdk-sees-ts-token", "the SDK could not read the file")
        else:
            want = norm(dict(new, id=new_id), v2)
            got = [norm(t, v2) for t in sdk2 if norm_value(t.get("id")) == new_id]
            problem = ""
            if len(got) != 1:
                problem = "get_tokens returned %d tokens with id %s" % (len(got), new_id)
            elif got[0] != want:
                problem = "get_tokens: " + "; ".join("%s=%s (want %s)" % (f, short(got[0][f]), short(want[f]))
                                                      for f in FIELDS if got[0][f] != want[f])
            else:
                found, ferr = self.sdk(name, path, "find-by-id", new_id)
                if ferr:
                    problem = "find_token_by_id(%s): %s" % (new_id, ferr)
                elif norm(found or {}, v2) != want:
                    problem = "find_token_by_id(%s) returned %s" % (new_id, short(found, 200))
            c("sdk-sees-ts-token", problem)
        if sdk2 is None:
            c("sdk-misses-deleted-token", "the SDK could not read the file")
        elif gone is not None:
            left = [t for t in sdk2 if norm_value(t.get("id")) == gone]
            c("sdk-misses-deleted-token", "id %s still there" % gone if left else "")
        else:
            c("sdk-misses-deleted-token", "nothing was deleted")
        ts2, err = self.ts_list(path)
        if sdk2 is None or ts2 is None:
            c("sdk-equals-ts-after-ts-write", "no list to compare (%s)" % (err or "the SDK could not read"))
        else:
            c("sdk-equals-ts-after-ts-write", diff_lists(sdk2, ts2, "sdk", "tokenstore", v2))

        # the SDK writes once more, tokenstore reads again
        last = last_sdk_token(name)
        saved, err = self.sdk(name, path, "save", data=[last])
        c("sdk-saves-after-ts", err)
        sdk3, err3 = self.sdk(name, path, "list")
        ts3, err = self.ts_list(path)
        c("ts-list-after-sdk-save", err)
        if ts3 is None or sdk3 is None:
            c("ts-equals-sdk-after-sdk-save", "no list to compare (%s)" % (err or err3))
        else:
            problem = diff_lists(sdk3, ts3, "sdk", "tokenstore", v2)
            if not problem and not any(norm_value(t.get("user_name")) == last["user_name"] for t in ts3):
                problem = "the SDK's last token (%s) is in neither list" % last["user_name"]
            c("ts-equals-sdk-after-sdk-save", problem)

        if kind == "node":
            self.comma_row(name, os.path.join(work, "commas.csv"), v2)

    def refused(self, name, store, check, argv):
        # on a copy, so that a value wrongly written does not disturb the later checks
        path = store + "." + check + ".csv"
        shutil.copyfile(store, path)
        try:
            with open(path, "rb") as f:
                before = f.read()
        except OSError as e:
            before = None
        rc, out, err = self.ts(path, "save", *argv)
        try:
            with open(path, "rb") as f:
                after = f.read()
        except OSError:
            after = None
        problem = []
        if rc == 0:
            problem.append("save exit 0: the value was written")
        elif not err.strip():
            problem.append("save exit %d with no error message" % rc)
        if before != after:
            problem.append("the file changed")
        self.check("%s/%s" % (name, check), "; ".join(problem))

    def comma_row(self, name, path, v2):
        """The Node SDKs write a comma-bearing value raw and read the row back by position:
        tokenstore must read the file as the SDK does (and warn), not refuse it."""
        check = "%s/ts-reads-comma-row-as-sdk" % name
        if os.path.exists(path):
            os.remove(path)
        toks = [t for t in sdk_tokens(name)[:1]]
        toks.append(tok(user_name="heidi@example.com", client_id=CLIENT, client_secret=SECRET,
                        refresh_token="1000.rt.heidi.0008", access_token="1000.at.heidi.0008",
                        expiry_time=FUTURE,
                        redirect_url="https://app.example.com/cb?scope=ZohoCRM.modules.ALL,ZohoCRM.users.READ",
                        api_domain=None if v2 else "https://www.zohoapis.com"))
        _, err = self.sdk(name, path, "save", data=toks)
        if err:
            self.check(check, "the SDK could not write: " + err)
            return
        sdk_view, err = self.sdk(name, path, "list")
        if err:
            self.check(check, "the SDK cannot read its own file: " + err)
            return
        rc, out, err = self.ts(path, "list", "--format", "json", "--reveal")
        if rc != 0:
            self.check(check, "tokenstore list exit %d: %s" % (rc, one_line(err)))
            return
        try:
            ts_view = json.loads(out)
        except ValueError as e:
            self.check(check, "tokenstore list printed no JSON (%s)" % e)
            return
        problem = diff_lists(sdk_view, ts_view, "sdk", "tokenstore", v2)
        if not problem and "line 3" not in err:
            problem = "read as the SDK does, but no warning naming line 3 (stderr: %s)" % one_line(err, 160)
        self.check(check, problem)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--node", default="node")
    ap.add_argument("sdks", nargs="*", default=list(SDKS))
    args = ap.parse_args()
    for s in args.sdks:
        if s not in SDKS:
            ap.error("unknown SDK %r (known: %s)" % (s, " ".join(SDKS)))
    r = Runner(args)
    for s in args.sdks:
        r.one(s)
    print("%d passed, %d failed" % (r.passed, r.failed))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
