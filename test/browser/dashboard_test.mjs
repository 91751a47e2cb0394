// The dashboard (GET /) in a real browser: Debian's headless Chromium,
// driven over the DevTools protocol by playwright-core (pinned in
// package-lock.json). Starts the real server, changes things over HTTP and
// waits for the page to show them; fails on any console error.
//
//   node dashboard_test.mjs SERVER_BINARY ARTIFACT_DIR
//
// Leaves ARTIFACT_DIR/dashboard.png (and dashboard-failed.png on failure).

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const [serverBinary, artifacts] = process.argv.slice(2);
if (!serverBinary || !artifacts) {
  console.error("usage: node dashboard_test.mjs SERVER_BINARY ARTIFACT_DIR");
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });
const step = (text) => console.log("dashboard test: " + text);
const TOKEN = "browser-test-token";

const dataDir = mkdtempSync(join(tmpdir(), "fridgebank-browser-"));

/// The server on `port` (0: a free one) over `dataDir`; resolves to it and
/// its base URL once it listens.
function startServer(port = 0) {
  const server = spawn(serverBinary, ["--port", String(port), "--data-dir", dataDir, "--admin-token", TOKEN],
                       { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    server.on("exit", (code) => reject(new Error("server exited with " + code)));
    createInterface({ input: server.stdout }).once("line", (line) => {
      const m = line.match(/^listening on (http:\/\/[^\s]+)$/);
      m ? resolve({ server, base: m[1] }) : reject(new Error("unexpected: " + line));
    });
  });
}

async function post(base, path, body, admin = false) {
  const headers = { "Content-Type": "application/json" };
  if (admin) headers.Authorization = "Bearer " + TOKEN;
  const res = await fetch(base + path, { method: "POST", headers, body: body && JSON.stringify(body) });
  if (res.status >= 300) throw new Error(path + " answered " + res.status + ": " + await res.text());
  return res.json();
}

/// The fridge rows as "name=drinks[:stopped]", in page order.
const fridgeRows = () => [...document.querySelectorAll("#fridges tr")]
  .map((r) => r.cells[0].textContent + "=" + r.cells[1].textContent + (r.classList.contains("stopped") ? ":stopped" : ""))
  .join(",");

/// Waits until the fridge rows read `want`; false when they do not within `timeout` ms.
const rowsBecome = (page, want, timeout) =>
  page.waitForFunction(`(${fridgeRows})() === ${JSON.stringify(want)}`, null, { timeout })
    .then(() => true, () => false);

async function main() {
  let { server, base } = await startServer();
  let browser, page;
  try {
    step("server at " + base);
    await post(base, "/fridges", { name: "f-a", drinks: 5 });
    await post(base, "/fridges", { name: "f-b", drinks: 7 });
    await post(base, "/accounts", { id: "alice" });
    await post(base, "/accounts/alice/deposit", { amount: 30 });

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = [];
    let restarting = false; // while the server is down, the page's reconnects are refused
    page.on("console", (m) => {
      if (restarting && /ERR_CONNECTION_REFUSED/.test(m.text())) return;
      if (m.type() === "error" || m.type() === "warning") problems.push(m.type() + ": " + m.text());
    });
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    page.on("requestfailed", (r) => { if (!r.url().endsWith("/events")) problems.push("request failed: " + r.url()); });

    await page.goto(base + "/");
    await rowsBecome(page, "f-a=5,f-b=7", 10000);
    const rows = await page.evaluate(fridgeRows);
    if (rows !== "f-a=5,f-b=7") throw new Error("fridges shown: " + rows);
    step("the page lists the fridges: " + rows);
    await page.waitForFunction(() => document.querySelector("#accounts tr")?.textContent === "alice30"
                               && document.getElementById("total").textContent === "30", null, { timeout: 5000 });
    await page.waitForFunction(() => document.getElementById("status").textContent === "live", null, { timeout: 5000 });
    step("the bank shows alice 30, total 30; the event stream is live");

    // A change over HTTP shows within 1 s.
    await post(base, "/fridges/f-a/drink", { drinksRequested: 2 });
    const changed = Date.now();
    if (!await rowsBecome(page, "f-a=3,f-b=7", 1000))
      throw new Error("not shown within 1 s: " + await page.evaluate(fridgeRows));
    step("a drink over HTTP shows in " + (Date.now() - changed) + " ms");
    await post(base, "/fridges", { name: "f-aa", drinks: 1 });
    await post(base, "/fridges/f-b/stop", null, true);
    await post(base, "/accounts", { id: "bob" });
    await post(base, "/transfers", { from: "alice", to: "bob", amount: 12 });
    if (!await rowsBecome(page, "f-a=3,f-aa=1,f-b=7:stopped", 1000))
      throw new Error("not shown within 1 s: " + await page.evaluate(fridgeRows));
    await page.waitForFunction(() => [...document.querySelectorAll("#accounts tr")].map((r) => r.textContent).join(",") === "alice18,bob12",
                               null, { timeout: 1000 });
    step("a new fridge in name order, a stopped one greyed, a transfer on both sides");

    // The figures, once a second, and the chart drawn from them.
    await page.waitForFunction(() => document.getElementById("f-fridges").textContent === "2"
                               && document.getElementById("f-total").textContent === "30", null, { timeout: 5000 });
    step("live figures: 2 live fridges, ledger total 30");

    // The race panel: naive politeness empties the fridge, atomic never does.
    await page.click("#race-naive");
    await page.waitForFunction(() => /empty: politeness failed/.test(document.getElementById("race-result").textContent), null, { timeout: 5000 });
    await page.click("#race-atomic");
    await page.waitForFunction(() => /1 drink left/.test(document.getElementById("race-result").textContent), null, { timeout: 5000 });
    step("the race: naive empties the fridge, atomic leaves one");

    // 10 000 fridges: the page shows them 200 at a time, by name.
    for (let i = 0; i < 10000; i += 200)
      await Promise.all(Array.from({ length: 200 }, (_, j) =>
        post(base, "/fridges", { name: "z" + String(i + j).padStart(5, "0"), drinks: 1 })));
    const loadStart = Date.now();
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll("#fridges tr").length === 200
                               && document.getElementById("status").textContent === "live", null, { timeout: 10000 });
    step("10 000 more fridges: the first page of 200 in " + (Date.now() - loadStart) + " ms");
    await page.click("#next");
    await page.waitForFunction(() => document.querySelector("#fridges tr")?.cells[0].textContent === "z00195", null, { timeout: 5000 });
    await page.click("#first");
    await page.waitForFunction(() => document.querySelector("#fridges tr")?.cells[0].textContent === "f-a", null, { timeout: 5000 });
    step("next page and back");
    await post(base, "/fridges/f-a/drink", { drinksRequested: 1 });
    await page.waitForFunction(() => document.querySelector("#fridges tr")?.cells[1].textContent === "2", null, { timeout: 1000 });

    // The server restarts (SIGTERM: a drain, nothing retired) and a drink
    // happens before the page is back: the page reconnects by itself, is
    // told to load again, and shows it.
    const exited = new Promise((resolve) => server.once("exit", resolve));
    restarting = true;
    server.kill("SIGTERM");
    await exited;
    await page.waitForFunction(() => document.getElementById("status").textContent !== "live", null, { timeout: 5000 });
    ({ server } = await startServer(new URL(base).port));
    await post(base, "/fridges/f-a/drink", { drinksRequested: 1 });
    await page.waitForFunction(() => document.querySelector("#fridges tr")?.cells[1].textContent === "1"
                               && document.getElementById("status").textContent === "live", null, { timeout: 10000 });
    restarting = false;
    step("restarted: the page reconnected by itself and shows the drink made while it was away");

    // A few figures on the chart, for the picture.
    await page.waitForFunction(() => chartPoints.length >= 4, null, { timeout: 10000 });
    await page.screenshot({ path: artifacts + "/dashboard.png", fullPage: true });
    step("screenshot: " + artifacts + "/dashboard.png");
    if (problems.length) throw new Error("console: " + problems.join(" | "));
    step("no console errors");
  } catch (e) {
    if (page) await page.screenshot({ path: artifacts + "/dashboard-failed.png", fullPage: true }).catch(() => {});
    throw e;
  } finally {
    if (browser) await browser.close();
    server.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => { console.error("dashboard test FAILED: " + e.message); process.exit(1); });
