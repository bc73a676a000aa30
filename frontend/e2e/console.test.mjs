// End-to-end specs of the console against a running MoniHub (see README: "End-to-end tests").
// They run in order and share one browser: each step builds on the previous one.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  openBrowser,
  screenshot,
  seriousViolations,
  settings,
  waitFor,
  writeArtifact,
} from "./support.mjs";

/** @type {ReturnType<typeof settings>} */
let config;
/** @type {Awaited<ReturnType<typeof openBrowser>>} */
let browser;
/** @type {import("playwright-core").Page} */
let page;

const run = randomBytes(3).toString("hex");
const projectCode = `e2e-${run}`;
const applicationCode = `shop-${run}`;
const viewer = { username: `viewer-${run}`, password: randomBytes(12).toString("base64url") };
/** @type {Record<string, { id: string, help: string, targets: string[] }[]>} */
const accessibility = {};

/**
 * Checks the current page with axe and remembers serious or critical findings.
 * @param {string} name
 */
async function checkAccessibility(name) {
  const found = await seriousViolations(page);
  if (found.length > 0) {
    accessibility[name] = found.map((v) => ({
      id: v.id,
      help: v.help,
      targets: v.nodes.flatMap((n) => n.target),
    }));
  }
}

/**
 * Opens a page of the console, waits for it to settle, screenshots and checks it.
 * @param {string} path
 * @param {string} name
 * @param {string} heading
 */
async function visit(path, name, heading) {
  await page.goto(path);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await screenshot(page, config.artifacts, name);
  await checkAccessibility(name);
}

/**
 * @param {string} username
 * @param {string} password
 */
async function signIn(username, password) {
  await page.goto("/sign-in");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
}

async function signOut() {
  await page.getByRole("button", { name: /^(Account|账户):/ }).click();
  await page.getByRole("menuitem", { name: /Sign out|退出登录/ }).click();
  await page.getByRole("button", { name: /Sign in|登录/ }).waitFor();
}

describe("MoniHub console", { concurrency: false }, () => {
  before(async () => {
    config = settings();
    browser = await openBrowser(config);
    page = browser.page;
  });

  after(async () => {
    if (config) writeArtifact(config.artifacts, "accessibility.json", accessibility);
    await browser?.close();
  });

  it("refuses a wrong password with the server's message, then signs in", async () => {
    await page.goto("/");
    await page.waitForURL(/\/sign-in\?redirect=/);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: /invalid username or password/ })
      .waitFor();
    await screenshot(page, config.artifacts, "sign-in-error");
    await checkAccessibility("sign-in");
    await page.getByLabel("Password").fill(config.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
    await screenshot(page, config.artifacts, "dashboard");
  });

  it("creates a project and an application", async () => {
    await page.goto("/projects");
    await page.getByRole("button", { name: "New project" }).click();
    const projectDialog = page.getByRole("dialog", { name: "New project" });
    await projectDialog.getByLabel("Name").fill(`E2E ${run}`);
    await projectDialog.getByLabel("Code").fill(projectCode);
    await projectDialog.getByLabel("Description").fill("Created by the end-to-end specs");
    await projectDialog.getByRole("button", { name: "Create" }).click();
    await projectDialog.waitFor({ state: "hidden" });
    await page.getByRole("link", { name: `E2E ${run}` }).click();
    await page.getByRole("heading", { level: 1, name: `E2E ${run}` }).waitFor();

    await page.getByRole("button", { name: "New application" }).click();
    const appDialog = page.getByRole("dialog", { name: "New application" });
    await appDialog.getByLabel("Name").fill(`Shop ${run}`);
    await appDialog.getByLabel("Code").fill(applicationCode);
    await appDialog.getByRole("button", { name: "Add technology" }).click();
    await appDialog.getByPlaceholder("Technology").fill("Rust");
    await appDialog.getByPlaceholder("Version").fill("1.95");
    await appDialog.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { level: 1, name: `Shop ${run}` }).waitFor();
  });

  it("issues an agent token in a copy-once dialog", async () => {
    await page.getByRole("button", { name: "Issue token" }).click();
    const dialog = page.getByRole("dialog", { name: "Agent token" });
    await dialog.waitFor();
    const token = await dialog.getByTestId("agent-token").inputValue();
    assert.match(token, /^mhat_/);
    writeArtifact(config.artifacts, "agent-token.txt", `${token}\n`);
    assert.ok(
      (await dialog.textContent())?.includes(`server_url = "${config.baseUrl}"`),
      "the agent configuration names this server",
    );
    await screenshot(page, config.artifacts, "agent-token");
    await checkAccessibility("agent-token-dialog");
    await dialog.getByRole("button", { name: "I have saved it" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByText(/Token mhat_/).waitFor();
    await screenshot(page, config.artifacts, "application");
  });

  it("shows instances coming online live, without reloading", async () => {
    await page.getByRole("link", { name: "All instances" }).click();
    await page.getByRole("heading", { level: 1, name: "Instances" }).waitFor();
    const navigations = [];
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) navigations.push(frame.url());
    });
    const online = page.locator('[data-testid="instance-row"][data-online="true"]');
    const count = await waitFor(async () => await online.count(), {
      timeoutMs: 60_000,
      message: "no instance came online (is the simulator running with agent-token.txt?)",
    });
    assert.ok(count > 0);
    assert.equal(navigations.length, 0, "the page must not reload");
    await screenshot(page, config.artifacts, "instances");
    await checkAccessibility("instances");

    await online.first().getByRole("link").click();
    await page.getByRole("tab", { name: "Overview" }).waitFor();
    await screenshot(page, config.artifacts, "instance");
    await checkAccessibility("instance");
    await page.getByRole("tab", { name: "Metrics" }).click();
    await page.locator("figure").first().waitFor({ timeout: 30_000 });
    await screenshot(page, config.artifacts, "instance-metrics");
    await page.getByRole("tab", { name: "Agent configuration" }).click();
    await page.getByLabel("Report interval (seconds)").fill("2");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Between 5 and 3600").waitFor();
    await page.getByLabel("Report interval (seconds)").fill("15");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Agent configuration saved", { exact: true }).waitFor();
  });

  it("runs a shell task and shows each instance's result as it arrives", async () => {
    await page.goto("/tasks/new");
    await page.getByRole("heading", { level: 1, name: "New task" }).waitFor();
    await page.getByRole("button", { name: "Create task" }).click();
    await page.getByText("Pick at least one instance").waitFor();
    await page.getByLabel("Name").first().fill(`uptime ${run}`);
    await page.getByLabel(/Script/).fill("uptime");
    // Target this run's instances: other applications' agents may not be running.
    const targets = page.getByRole("group", { name: "Target instances" });
    await targets.getByRole("combobox", { name: "Application" }).click();
    await page.getByRole("option", { name: `Shop ${run}` }).click();
    await targets
      .locator('[data-testid="instance-choices"][aria-busy="false"]')
      .getByRole("listitem")
      .first()
      .waitFor({ timeout: 60_000 });
    await targets.getByLabel("All on this page").check();
    await screenshot(page, config.artifacts, "new-task");
    await checkAccessibility("new-task");
    await page.getByRole("button", { name: "Create task" }).click();
    await page.getByRole("heading", { level: 1, name: `uptime ${run}` }).waitFor();
    const done = page.locator('[data-testid="task-record"][data-status="succeeded"]');
    await waitFor(async () => (await done.count()) > 0, {
      timeoutMs: 60_000,
      message: "no task record succeeded",
    });
    await screenshot(page, config.artifacts, "task");
    await checkAccessibility("task");
    await done
      .first()
      .getByRole("button", { name: /View output/ })
      .click();
    const output = page.getByRole("dialog", { name: /Output on/ });
    await output.waitFor();
    await screenshot(page, config.artifacts, "task-output");
    await page.keyboard.press("Escape");
  });

  it("renders every main page", async () => {
    await visit("/", "dashboard-live", "Dashboard");
    await visit("/projects", "projects", "Projects");
    await visit("/applications", "applications", "Applications");
    await visit("/tasks", "tasks", "Tasks");
    await visit("/logs", "logs", "Logs");
    await visit("/audit", "audit", "Audit log");
    await page.getByRole("button", { name: "Changes" }).first().click();
    await page.getByRole("dialog").getByRole("tab", { name: "Changes" }).waitFor();
    await screenshot(page, config.artifacts, "audit-diff");
    await page.keyboard.press("Escape");
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export CSV" }).click();
    assert.match((await download).suggestedFilename(), /^monihub-audit-.*\.csv$/);
    await visit("/users", "users", "Users");
    await visit("/roles", "roles", "Roles");
    await page.getByRole("button", { name: "Switch to dark theme" }).click();
    await visit("/", "dashboard-dark", "Dashboard");
    await page.getByRole("button", { name: "Switch to light theme" }).click();
  });

  it("keeps administration away from a viewer", async () => {
    await page.goto("/users");
    await page.getByRole("button", { name: "New user" }).click();
    const dialog = page.getByRole("dialog", { name: "New user" });
    await dialog.getByLabel("Username").fill(viewer.username);
    await dialog.getByLabel("Password").fill(viewer.password);
    await dialog.getByRole("button", { name: "Create" }).click();
    await dialog.waitFor({ state: "hidden" });
    await signOut();

    await signIn(viewer.username, viewer.password);
    const menu = page.getByRole("navigation", { name: "Main menu" });
    for (const entry of ["Dashboard", "Instances", "Tasks"]) {
      await menu.getByRole("link", { name: entry }).waitFor();
    }
    for (const entry of ["Users", "Roles", "Audit log"]) {
      assert.equal(await menu.getByRole("link", { name: entry }).count(), 0, `${entry} is hidden`);
    }
    for (const path of ["/users", "/roles", "/audit"]) {
      await page.goto(path);
      await page.getByRole("heading", { name: "No access" }).waitFor();
    }
    await screenshot(page, config.artifacts, "viewer-no-access");
    await page.goto("/projects");
    await page.getByRole("heading", { level: 1, name: "Projects" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "New project" }).count(), 0);
  });

  it("switches language and signs out", async () => {
    await page.getByRole("button", { name: /^Language:/ }).click();
    await page.getByRole("menuitemradio", { name: "简体中文" }).click();
    await page
      .getByRole("navigation", { name: "主菜单" })
      .getByRole("link", { name: "项目" })
      .waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
    await screenshot(page, config.artifacts, "chinese");
    await page.getByRole("button", { name: /^语言:/ }).click();
    await page.getByRole("menuitemradio", { name: "English" }).click();
    await page.getByRole("heading", { level: 1, name: "Projects" }).waitFor();
    await signOut();
    await page.goto("/instances");
    await page.waitForURL(/\/sign-in\?redirect=%2Finstances/);
  });

  it("measures scrolling the instance table", async () => {
    // Tells the harness to start the quiet fleet the table is measured with.
    writeArtifact(config.artifacts, "fleet-wanted.txt", `${config.perfInstances}\n`);
    await signIn("admin", config.password);
    const started = Date.now();
    await page.goto("/instances");
    const counts = page.getByTestId("instance-counts");
    const rows = await waitFor(
      async () => {
        if (!(await counts.isVisible())) return 0;
        const text = (await counts.textContent()) ?? "";
        const shown = Number((text.match(/^([\d,]+)/)?.[1] ?? "0").replaceAll(",", ""));
        return shown >= Math.max(1, config.perfInstances) ? shown : 0;
      },
      { timeoutMs: 300_000, message: `the table did not reach ${config.perfInstances} rows` },
    );
    const loadMs = Date.now() - started;
    await page.evaluate(() => {
      /** @type {number[]} */
      const longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longTasks.push(entry.duration);
      }).observe({ type: "longtask", buffered: false });
      // @ts-expect-error a measurement hook for this spec only.
      window.__longTasks = longTasks;
    });
    const steps = await page.evaluate(async () => {
      const table = /** @type {HTMLElement} */ (
        document.querySelector('[data-testid="instance-table"]')
      );
      const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)));
      let count = 0;
      for (let top = 0; top < table.scrollHeight; top += 1500) {
        table.scrollTop = top;
        await frame();
        count += 1;
      }
      for (let top = table.scrollHeight; top > 0; top -= 6000) {
        table.scrollTop = top;
        await frame();
        count += 1;
      }
      return count;
    });
    await page.waitForTimeout(500);
    /** @type {number[]} */
    // @ts-expect-error set above.
    const durations = await page.evaluate(() => window.__longTasks);
    const over = durations.filter((d) => d > 200);
    const result = {
      rows,
      loadMs,
      scrollSteps: steps,
      longTasks: durations.length,
      longTasksOver200ms: over.length,
      maxLongTaskMs: Math.round(Math.max(0, ...durations)),
      totalLongTaskMs: Math.round(durations.reduce((a, b) => a + b, 0)),
    };
    writeArtifact(config.artifacts, "perf.json", result);
    await screenshot(page, config.artifacts, "instances-scrolled");
  });

  it("caused no Content-Security-Policy violation, page error or serious accessibility issue", () => {
    assert.deepEqual(browser.problems, []);
    assert.deepEqual(accessibility, {});
  });
});
