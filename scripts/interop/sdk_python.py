#!/usr/bin/env python3
"""Drive the real Zoho CRM Python SDK FileStore, with no network call.

Run it with the interpreter of a venv holding one SDK:
  zohocrmsdk8-0 / zohocrmsdk7-0 (package `zohocrmsdk`, 10 columns, numeric ids) or
  zohocrmsdk2-0 (package `zcrmsdk`, 9 columns, `user_mail`, string ids).

  python sdk_python.py FILE COMMAND [ARG]
    save            stdin: JSON token or array; saves each with save_token, stops at the first error
    save-each       like save, but goes on after an error (for the concurrency test)
    list            get_tokens()
    find-by-id ID   find_token_by_id (8.x) / get_token_by_id (2.x)
    delete ID       delete_token(id) (8.x) / get_token_by_id + delete_token(token) (2.x)
    info            which SDK and FileStore this is

Tokens are JSON objects with the ten fields id, user_name, client_id,
client_secret, refresh_token, access_token, grant_token, expiry_time,
redirect_url, api_domain; values are reported exactly as the SDK returns them
("" and null kept apart). Prints one JSON object {"ok": true, "result": ...}
or {"ok": false, "error": "...", "traceback": "..."}; exit 0 / 1.
"""
import json
import sys
import traceback

FIELDS = ["id", "user_name", "client_id", "client_secret", "refresh_token", "access_token",
          "grant_token", "expiry_time", "redirect_url", "api_domain"]


def load_sdk():
    """Return (flavour, module namespace) for the SDK installed in this interpreter."""
    try:
        from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
        from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
        from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature
        return "python8", dict(FileStore=FileStore, OAuthToken=OAuthToken, UserSignature=UserSignature,
                               module="zohocrmsdk")
    except ImportError:
        pass
    from zcrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
    from zcrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zcrmsdk.src.com.zoho.crm.api.user_signature import UserSignature
    return "python2", dict(FileStore=FileStore, OAuthToken=OAuthToken, UserSignature=UserSignature,
                           module="zcrmsdk")


FLAVOUR, SDK = load_sdk()


class LooseUser(object):
    """The 2.x SDK's UserSignature refuses anything but a lower-case ASCII e-mail address;
    its FileStore only calls get_email(), so names it refuses go through this stand-in."""

    def __init__(self, email):
        self._email = email

    def get_email(self):
        return self._email


def user_for_v2(name):
    try:
        return SDK["UserSignature"](name)
    except Exception:
        return LooseUser(name)


def new_blank_token():
    # The 8.x FileStore builds tokens this way itself (object.__new__ + setters), which
    # skips the constructor's checks; do the same for both SDKs.
    tok = object.__new__(SDK["OAuthToken"])
    for setter in ("set_id", "set_client_id", "set_client_secret", "set_refresh_token",
                   "set_access_token", "set_grant_token", "set_redirect_url", "set_expires_in"):
        getattr(tok, setter)(None)
    if FLAVOUR == "python8":
        tok.set_user_signature(None)
        tok.set_api_domain(None)
    else:
        tok.set_user_mail(None)
    return tok


def v2_generate_id(user_name, refresh_token):
    # OAuthToken.generate_id() of the 2.x SDK, with the US production environment
    # (it reads the e-mail and environment from the Initializer, which we do not start).
    local = user_name[0:user_name.find("@")]
    return "python_" + local + "_us_prd_" + refresh_token[len(refresh_token) - 4:]


def to_sdk_token(d):
    tok = new_blank_token()
    if d.get("id") is not None:
        tok.set_id(d["id"])
    tok.set_client_id(d.get("client_id"))
    tok.set_client_secret(d.get("client_secret"))
    tok.set_refresh_token(d.get("refresh_token"))
    tok.set_access_token(d.get("access_token"))
    tok.set_grant_token(d.get("grant_token"))
    tok.set_expires_in(d.get("expiry_time"))
    tok.set_redirect_url(d.get("redirect_url"))
    if FLAVOUR == "python8":
        if d.get("user_name") is not None:
            tok.set_user_signature(SDK["UserSignature"](d["user_name"]))
        tok.set_api_domain(d.get("api_domain"))
    else:
        tok.set_user_mail(d.get("user_name"))
        if tok.get_id() is None and d.get("user_name") and d.get("refresh_token"):
            tok.set_id(v2_generate_id(d["user_name"], d["refresh_token"]))
    return tok


def from_sdk_token(tok):
    if tok is None:
        return None
    if FLAVOUR == "python8":
        sig = tok.get_user_signature()
        name = sig.get_name() if sig is not None else None
        api_domain = tok.get_api_domain()
    else:
        name = tok.get_user_mail()
        api_domain = None
    return {
        "id": tok.get_id(), "user_name": name, "client_id": tok.get_client_id(),
        "client_secret": tok.get_client_secret(), "refresh_token": tok.get_refresh_token(),
        "access_token": tok.get_access_token(), "grant_token": tok.get_grant_token(),
        "expiry_time": tok.get_expires_in(), "redirect_url": tok.get_redirect_url(),
        "api_domain": api_domain,
    }


def save_one(store, d):
    tok = to_sdk_token(d)
    if FLAVOUR == "python8":
        store.save_token(tok)
    else:
        store.save_token(user_for_v2(d.get("user_name")), tok)
    return from_sdk_token(tok)


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    path, cmd, args = argv[1], argv[2], argv[3:]
    if cmd == "info":
        return {"flavour": FLAVOUR, "module": SDK["module"],
                "file_store": SDK["FileStore"].__module__}
    store = SDK["FileStore"](path)
    if cmd in ("save", "save-each"):
        data = json.load(sys.stdin)
        if isinstance(data, dict):
            data = [data]
        saved, errors = [], []
        for d in data:
            try:
                saved.append(save_one(store, d))
            except Exception as e:
                if cmd == "save":
                    raise
                errors.append("%s: %s" % (d.get("user_name"), describe(e)))
        if cmd == "save":
            return saved
        return {"saved": len(saved), "errors": len(errors), "first_errors": errors[:5]}
    if cmd == "list":
        return [from_sdk_token(t) for t in store.get_tokens()]
    if cmd == "find-by-id":
        if FLAVOUR == "python8":
            return from_sdk_token(store.find_token_by_id(args[0]))
        return from_sdk_token(store.get_token_by_id(args[0], new_blank_token()))
    if cmd == "delete":
        if FLAVOUR == "python8":
            store.delete_token(args[0])
        else:
            tok = store.get_token_by_id(args[0], new_blank_token())
            store.delete_token(tok)
        return None
    raise SystemExit("unknown command %r" % cmd)


def describe(e):
    parts = []
    while e is not None and len(parts) < 4:
        text = str(e)
        for attr in ("code", "message", "details"):
            v = getattr(e, attr, None)
            if v and str(v) not in text:
                text += " %s=%s" % (attr, v)
        parts.append("%s: %s" % (type(e).__name__, text))
        e = getattr(e, "cause", None) or e.__cause__ or e.__context__
    return " <- ".join(parts)


if __name__ == "__main__":
    try:
        out = {"ok": True, "result": main(sys.argv)}
        code = 0
    except Exception as e:  # report, never a bare traceback: the harness parses stdout
        out = {"ok": False, "error": describe(e), "traceback": traceback.format_exc()}
        code = 1
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.exit(code)
