// docs/openapi.yaml, checked two ways:
//  1. the document against the OpenAPI 3.1 schema;
//  2. every reply the HTTP route suites receive against the document: the
//     route and method are described, the status is one the operation
//     answers (or an error), the content type is one it declares, a JSON
//     body matches the schema, required headers are present, and an error's
//     code goes with its status (components.x-fridgebank-errors).
//
// usage: node validate.mjs OPENAPI.yaml HTTP_TESTS_BINARY [doctest flags...]
// The suites run with FRIDGEBANK_REPLY_LOG set: test/http_client.hpp writes
// one JSON line per exchange.
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";

const [docPath, suites, ...suiteFlags] = process.argv.slice(2);
const doc = YAML.parse(readFileSync(docPath, "utf8"));
let failures = 0;
const fail = (what) => {
  failures++;
  if (failures <= 50) console.error(`FAIL: ${what}`);
};

// 1. The document itself.
const checked = await new Validator().validate(structuredClone(doc));
if (!checked.valid) {
  fail(`${docPath} is not valid OpenAPI 3.1: ${JSON.stringify(checked.errors, null, 1)}`);
  process.exit(1);
}
console.log(`${docPath}: valid OpenAPI ${doc.openapi}`);

// 2. The replies.
const dir = mkdtempSync(join(tmpdir(), "openapi-"));
const log = join(dir, "replies.jsonl");
const run = spawnSync(suites, suiteFlags, {
  env: { ...process.env, FRIDGEBANK_REPLY_LOG: log },
  encoding: "utf8",
  maxBuffer: 64 << 20,
});
if (run.status !== 0) {
  console.error(run.stdout, run.stderr);
  fail(`the suites failed (exit ${run.status})`);
}
const exchanges = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l));
rmSync(dir, { recursive: true });

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(doc, "openapi");
const validators = new Map();
const validatorAt = (pointer) => {
  if (!validators.has(pointer)) validators.set(pointer, ajv.getSchema(`openapi#${pointer}`));
  return validators.get(pointer);
};
const escape = (s) => s.replaceAll("~", "~0").replaceAll("/", "~1");
const resolve = (obj) => (obj && obj.$ref ? resolve(pointerGet(obj.$ref)) : obj);
const pointerGet = (ref) =>
  ref
    .slice(2)
    .split("/")
    .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((o, k) => o[k], doc);
const refOf = (obj, fallback) => (obj && obj.$ref ? obj.$ref.slice(1) : fallback);

const templates = Object.keys(doc.paths).map((template) => ({
  template,
  regex: new RegExp("^" + template.replace(/\{[^}]+\}/g, "[^/]+") + "$"),
}));
const errorCodes = doc.components["x-fridgebank-errors"].codes;
const errorPointer = "/components/schemas/Error";
const covered = new Set();

function checkError(what, x, headers) {
  let body;
  try {
    body = JSON.parse(x.body);
  } catch {
    return fail(`${what}: error body is not JSON: ${x.body.slice(0, 80)}`);
  }
  const validate = validatorAt(errorPointer);
  if (!validate(body)) return fail(`${what}: error body ${x.body}: ${ajv.errorsText(validate.errors)}`);
  if ("requestId" in body && body.requestId !== headers["x-request-id"])
    fail(`${what}: requestId ${body.requestId} is not the X-Request-Id ${headers["x-request-id"]}`);
  const code = errorCodes[body.error];
  if (code.status !== x.status) fail(`${what}: ${body.error} with status ${x.status}, not ${code.status}`);
  if (code.header && !(code.header.toLowerCase() in headers))
    fail(`${what}: ${body.error} without ${code.header}`);
  for (const field of code.body ?? [])
    if (!(field in body)) fail(`${what}: ${body.error} without "${field}"`);
}

// A reply to raw bytes (malformed requests, pipelining): an error as any
// route gives it, or a success whose type the document knows.
const knownTypes = new Set(
  Object.values(doc.paths).flatMap((item) =>
    Object.values(item).flatMap((op) =>
      Object.values(op.responses ?? {}).flatMap((r) => Object.keys(resolve(r).content ?? {})),
    ),
  ),
);
function checkRaw(x, headers) {
  const what = `(raw request) → ${x.status}`;
  covered.add("raw");
  if (x.status >= 400) return checkError(what, x, headers);
  const type = (headers["content-type"] ?? "").split(";")[0].trim();
  if (!knownTypes.has(type)) fail(`${what}: content type '${type}' in no route of the document`);
}

function checkReply(x) {
  const path = x.target.replace(/^[a-z]+:\/\/[^/]*/i, "").split("?")[0];
  const method = x.method.toLowerCase();
  const headers = Object.fromEntries(Object.entries(x.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const what = `${x.method} ${x.target} → ${x.status}`;
  const streaming = (headers["content-type"] ?? "").startsWith("text/event-stream");
  if (!("x-request-id" in headers) && !streaming) fail(`${what}: no X-Request-Id`);
  if (x.method === "RAW") return checkRaw(x, headers);
  const found = templates.find((t) => t.regex.test(path));
  const operation = found && doc.paths[found.template][method === "head" ? "get" : method];
  if (!operation) {
    // Not a described route or method: only an error may answer.
    if (x.status < 400) fail(`${what}: ${found ? "method" : "route"} not in the document`);
    return method === "head" ? undefined : checkError(what, x, headers);
  }
  const opPointer = `/paths/${escape(found.template)}/${method === "head" ? "get" : method}`;
  const status = String(x.status);
  const responseRef = operation.responses[status] ? status : "default";
  const response = resolve(operation.responses[responseRef]);
  if (!response) return fail(`${what}: status not described`);
  covered.add(`${opPointer} ${responseRef === "default" ? "error" : status}`);
  if (responseRef === "default" && x.status < 400) fail(`${what}: a success the document does not describe`);
  const base = operation.responses[responseRef].$ref
    ? refOf(operation.responses[responseRef])
    : `${opPointer}/responses/${responseRef}`;
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const value = headers[name.toLowerCase()];
    if (value === undefined) {
      if (resolve(header).required) fail(`${what}: no ${name} header`);
      continue;
    }
    const validate = validatorAt(`${refOf(header, `${base}/headers/${escape(name)}`)}/schema`);
    if (!validate(value)) fail(`${what}: ${name}: ${value}: ${ajv.errorsText(validate.errors)}`);
  }
  const type = (headers["content-type"] ?? "").split(";")[0].trim();
  if (!response.content?.[type]) return fail(`${what}: content type '${type}' not described`);
  if (method === "head" || type !== "application/json") return;
  if (responseRef === "default") return checkError(what, x, headers);
  let body;
  try {
    body = JSON.parse(x.body);
  } catch {
    return fail(`${what}: body is not JSON: ${x.body.slice(0, 80)}`);
  }
  const schemaPointer = refOf(response.content[type].schema, `${base}/content/${escape(type)}/schema`);
  const validate = validatorAt(schemaPointer);
  if (!validate(body)) fail(`${what}: ${x.body.slice(0, 200)}: ${ajv.errorsText(validate.errors)}`);
}

exchanges.forEach(checkReply);
const operations = Object.entries(doc.paths).flatMap(([p, item]) =>
  ["get", "post"].filter((m) => item[m]).map((m) => `/paths/${escape(p)}/${m}`),
);
const answered = operations.filter((op) => [...covered].some((c) => c.startsWith(op + " ")));
console.log(
  `${exchanges.length} replies checked; ${answered.length} of ${operations.length} operations answered, ` +
    `${covered.size - (covered.has("raw") ? 1 : 0)} operation/status pairs`,
);
for (const op of operations.filter((o) => !answered.includes(o))) fail(`no reply exercised ${op}`);
if (!covered.has("raw")) fail("no reply to a raw request was checked");
if (failures) {
  console.error(`openapi: ${failures} failures`);
  process.exit(1);
}
console.log("openapi: every reply matches docs/openapi.yaml");
