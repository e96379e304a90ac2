#!/usr/bin/env node
// Drive the real Zoho CRM Node.js SDK FileStore, with no network call.
//
//   node sdk_node.mjs PKG_DIR FILE COMMAND [ARG]
//
// PKG_DIR is the installed package (…/node_modules/@zohocrm/nodejs-sdk-8.0 or -2.0); the
// FileStore, OAuthToken and UserSignature modules are found under it, whatever its layout
// (8.0 is an ES module under lib/, 2.0 is CommonJS at the top).
// Commands as in sdk_python.py: save (stdin: JSON token or array), save-each, list,
// find-by-id ID, delete ID, info. Prints {"ok": true, "result": …} or
// {"ok": false, "error": "…"}; exit 0 / 1. Values are reported as the SDK returns them.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const FIELDS = ["id", "user_name", "client_id", "client_secret", "refresh_token", "access_token",
  "grant_token", "expiry_time", "redirect_url", "api_domain"];

// Async helpers of the SDK (e.g. 2.0's Utility.assertNotNull) can reject without anyone
// awaiting them; record those instead of letting Node end the process.
const unhandled = [];
process.on("unhandledRejection", (reason) => { unhandled.push(describe(reason)); });

function findFile(root, suffix) {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop();
    let entries;
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { continue; }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules") stack.push(p);
      } else if (p.endsWith(suffix)) {
        return p;
      }
    }
  }
  return null;
}

async function loadSdk(pkgDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  const storeFile = findFile(pkgDir, path.join("authenticator", "store", "file_store.js"));
  if (!storeFile) throw new Error(`no authenticator/store/file_store.js under ${pkgDir}`);
  const tokenFile = path.join(path.dirname(path.dirname(storeFile)), "oauth_token.js");
  const userFile = findFile(pkgDir, path.join("routes", "user_signature.js"));
  let load;
  if (pkg.type === "module") {
    load = async (f) => import(pathToFileURL(f).href);
  } else {
    const req = createRequire(path.join(pkgDir, "package.json"));
    load = async (f) => req(f);
  }
  const FileStore = (await load(storeFile)).FileStore;
  const OAuthToken = (await load(tokenFile)).OAuthToken;
  const UserSignature = userFile ? (await load(userFile)).UserSignature : null;
  // 8.x keeps user_name in a UserSignature and has api_domain; 2.x keeps user_mail.
  const v2 = typeof OAuthToken.prototype.setUserMail === "function";
  return { pkg, storeFile, FileStore, OAuthToken, UserSignature, v2 };
}

function v2GenerateId(userName, refreshToken) {
  // OAuthToken.generateId() of the 2.0 SDK with the US production environment
  // (it reads both from the Initializer, which we do not start).
  return "nodejs_" + userName.substring(0, userName.indexOf("@")) + "_us_prd_" +
    refreshToken.substring(refreshToken.length - 4);
}

function toSdkToken(sdk, d) {
  const t = Reflect.construct(sdk.OAuthToken, []); // as the FileStores build tokens themselves
  const v = (k) => (d[k] === undefined ? null : d[k]);
  t.setId(v("id"));
  t.setClientId(v("client_id"));
  t.setClientSecret(v("client_secret"));
  t.setRefreshToken(v("refresh_token"));
  t.setAccessToken(v("access_token"));
  t.setGrantToken(v("grant_token"));
  t.setExpiresIn(v("expiry_time"));
  t.setRedirectURL(v("redirect_url"));
  if (sdk.v2) {
    t.setUserMail(v("user_name"));
    if (t.getId() == null && d.user_name && d.refresh_token) t.setId(v2GenerateId(d.user_name, d.refresh_token));
  } else {
    t.setUserSignature(d.user_name != null ? new sdk.UserSignature(d.user_name) : null);
    t.setAPIDomain(v("api_domain"));
  }
  return t;
}

function fromSdkToken(sdk, t) {
  if (t == null) return null;
  const n = (x) => (x === undefined ? null : x);
  let name;
  if (sdk.v2) name = t.getUserMail();
  else name = t.getUserSignature() != null ? t.getUserSignature().getName() : null;
  return {
    id: n(t.getId()), user_name: n(name), client_id: n(t.getClientId()),
    client_secret: n(t.getClientSecret()), refresh_token: n(t.getRefreshToken()),
    access_token: n(t.getAccessToken()), grant_token: n(t.getGrantToken()),
    expiry_time: n(t.getExpiresIn()), redirect_url: n(t.getRedirectURL()),
    api_domain: sdk.v2 ? null : n(t.getAPIDomain()),
  };
}

function v2User(sdk, name) {
  // 2.0's UserSignature only takes what its e-mail regex accepts; its FileStore only
  // calls getEmail(), so other names go through a stand-in.
  try { return new sdk.UserSignature(name); } catch { return { getEmail: () => name }; }
}

async function saveOne(sdk, store, d) {
  const t = toSdkToken(sdk, d);
  if (sdk.v2) await store.saveToken(v2User(sdk, d.user_name), t);
  else await store.saveToken(t);
  return fromSdkToken(sdk, t);
}

function describe(e) {
  const parts = [];
  let depth = 0;
  while (e != null && depth++ < 4) {
    if (typeof e !== "object") { parts.push(String(e)); break; }
    let text = `${e.name || e.constructor?.name || "Error"}: ${e.message || ""}`;
    for (const k of ["code", "details"]) {
      if (e[k] != null && !text.includes(String(e[k]))) text += ` ${k}=${typeof e[k] === "object" ? JSON.stringify(e[k]) : e[k]}`;
    }
    parts.push(text);
    e = e.cause;
  }
  return parts.join(" <- ");
}

async function main(argv) {
  const [pkgDir, file, cmd, ...args] = argv;
  if (!cmd) throw new Error("usage: sdk_node.mjs PKG_DIR FILE COMMAND [ARG]");
  const sdk = await loadSdk(path.resolve(pkgDir));
  if (cmd === "info") {
    return { name: sdk.pkg.name, version: sdk.pkg.version, file_store: sdk.storeFile, v2: sdk.v2 };
  }
  const store = new sdk.FileStore(file);
  if (cmd === "save" || cmd === "save-each") {
    let data = JSON.parse(fs.readFileSync(0, "utf8"));
    if (!Array.isArray(data)) data = [data];
    const saved = [];
    const errors = [];
    for (const d of data) {
      try {
        saved.push(await saveOne(sdk, store, d));
      } catch (e) {
        if (cmd === "save") throw e;
        errors.push(`${d.user_name}: ${describe(e)}`);
      }
    }
    if (cmd === "save") return saved;
    return { saved: saved.length, errors: errors.length, first_errors: errors.slice(0, 5) };
  }
  if (cmd === "list") return (await store.getTokens()).map((t) => fromSdkToken(sdk, t));
  if (cmd === "find-by-id") {
    if (sdk.v2) return fromSdkToken(sdk, store.getTokenById(args[0], Reflect.construct(sdk.OAuthToken, [])));
    return fromSdkToken(sdk, await store.findTokenById(args[0]));
  }
  if (cmd === "delete") {
    if (sdk.v2) {
      const t = store.getTokenById(args[0], Reflect.construct(sdk.OAuthToken, []));
      await store.deleteToken(t);
    } else {
      await store.deleteToken(args[0]);
    }
    return null;
  }
  throw new Error(`unknown command ${cmd}`);
}

let out;
let code = 0;
try {
  out = { ok: true, result: await main(process.argv.slice(2)) };
} catch (e) {
  out = { ok: false, error: describe(e), stack: e && e.stack ? String(e.stack) : null };
  code = 1;
}
await new Promise((r) => setImmediate(r)); // let stray rejections surface
if (unhandled.length) out.unhandled_rejections = unhandled;
process.stdout.write(JSON.stringify(out) + "\n", () => process.exit(code));
