// Shared helpers of the browser end-to-end specs: the browser, artifacts, accessibility checks.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);

/** The settings of a run, from the environment. */
export function settings() {
  const baseUrl = process.env.MONIHUB_E2E_BASE_URL;
  const password = process.env.MONIHUB_E2E_ADMIN_PASSWORD;
  if (!baseUrl || !password) {
    throw new Error(
      "set MONIHUB_E2E_BASE_URL (the console, e.g. http://127.0.0.1:9080) and " +
        "MONIHUB_E2E_ADMIN_PASSWORD (the password of user admin) to run the end-to-end specs",
    );
  }
  const artifacts = process.env.MONIHUB_E2E_ARTIFACTS ?? join(process.cwd(), "e2e-artifacts");
  mkdirSync(artifacts, { recursive: true });
  return {
    baseUrl: baseUrl.replace(/\/+$/, ""),
    password,
    artifacts,
    chromium: process.env.MONIHUB_E2E_CHROMIUM ?? "/usr/bin/chromium",
    /** Instances the harness seeded for the 10,000-row measurement (0: measure what is there). */
    perfInstances: Number(process.env.MONIHUB_E2E_PERF_INSTANCES ?? "0"),
  };
}

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * A fresh browser profile. Content-Security-Policy violations and uncaught page errors are
 * collected: the console must cause none.
 * @param {ReturnType<typeof settings>} config
 */
export async function openBrowser(config) {
  const profile = mkdtempSync(join(tmpdir(), "monihub-e2e-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: config.chromium,
    headless: true,
    args: ARGS,
    viewport: { width: 1440, height: 900 },
    locale: "en-US",
    baseURL: config.baseUrl,
  });
  /** @type {string[]} */
  const problems = [];
  /** @param {import("playwright-core").Page} page */
  const watch = (page) => {
    page.on("console", (message) => {
      if (/Content[- ]Security[- ]Policy|Refused to/i.test(message.text())) {
        problems.push(`CSP: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  };
  context.on("page", watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

let shot = 0;

/**
 * Saves a full-page screenshot as NN-name.png.
 * @param {import("playwright-core").Page} page
 * @param {string} dir
 * @param {string} name
 */
export async function screenshot(page, dir, name) {
  shot += 1;
  await page.screenshot({
    path: join(dir, `${String(shot).padStart(2, "0")}-${name}.png`),
    fullPage: true,
  });
}

const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, which the page's CSP does
 * not govern) and returns its serious and critical violations.
 * @param {import("playwright-core").Page} page
 */
export async function seriousViolations(page) {
  await page.evaluate(axeSource);
  /** @type {{ id: string, impact: string, help: string, nodes: { target: string[] }[] }[]} */
  const violations = await page.evaluate(async () => {
    // @ts-expect-error axe is defined by the script evaluated above.
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((/** @type {any} */ v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((/** @type {any} */ n) => ({ target: n.target })),
    }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/**
 * @param {string} dir
 * @param {string} name
 * @param {unknown} value
 */
export function writeArtifact(dir, name, value) {
  writeFileSync(
    join(dir, name),
    typeof value === "string" ? value : `${JSON.stringify(value, null, 2)}\n`,
  );
}

/**
 * Polls `check` until it returns a truthy value or `timeoutMs` passes.
 * @template T
 * @param {() => Promise<T>} check
 * @param {{ timeoutMs: number, intervalMs?: number, message: string }} options
 * @returns {Promise<T>}
 */
export async function waitFor(check, { timeoutMs, intervalMs = 1000, message }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
