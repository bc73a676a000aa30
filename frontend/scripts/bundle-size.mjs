#!/usr/bin/env node
// The JavaScript a first visit downloads before the console can start: every script the built
// `index.html` loads (entry modules and classic scripts) plus the chunks it preloads, followed
// through their static imports. Gzipped sizes are summed and compared with the budget.
import { readFileSync, existsSync } from "node:fs";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const BUDGET_BYTES = 300 * 1024;
const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const html = join(dist, "index.html");

if (!existsSync(html)) {
  console.error("dist/index.html is missing: run `npm run build` first.");
  process.exit(2);
}

/**
 * Paths of the scripts and module preloads the page names, relative to dist/.
 * @param {string} source
 */
function entryScripts(source) {
  const found = new Set();
  const tag = /<(script|link)\b[^>]*>/gi;
  for (const [element, name] of source.matchAll(tag)) {
    /** @param {string} key */
    const attr = (key) => element.match(new RegExp(`\\b${key}\\s*=\\s*["']([^"']+)["']`, "i"))?.[1];
    const url =
      name.toLowerCase() === "script"
        ? attr("src")
        : /modulepreload/i.test(attr("rel") ?? "")
          ? attr("href")
          : undefined;
    if (url && !/^[a-z]+:\/\//i.test(url)) found.add(url.replace(/^\//, ""));
  }
  return [...found];
}

/**
 * Static imports of an ES module chunk (not dynamic `import()`), resolved against it.
 * @param {string} file
 * @param {string} code
 */
function staticImports(file, code) {
  const out = [];
  const pattern = /\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?["']([^"']+)["']/g;
  for (const [statement, specifier] of code.matchAll(pattern)) {
    if (statement.startsWith("import(")) continue;
    if (!specifier.startsWith(".") && !specifier.startsWith("/")) continue;
    const resolved = specifier.startsWith("/")
      ? specifier.slice(1)
      : posix.normalize(posix.join(posix.dirname(file), specifier));
    out.push(resolved);
  }
  return out;
}

/** @type {Map<string, { raw: number, gzip: number }>} */
const seen = new Map();
const queue = entryScripts(readFileSync(html, "utf8")).filter((f) => f.endsWith(".js"));
while (queue.length > 0) {
  const file = /** @type {string} */ (queue.shift());
  if (seen.has(file)) continue;
  const path = join(dist, file);
  if (!existsSync(path)) {
    console.error(`index.html references ${file}, which is not in dist/`);
    process.exit(2);
  }
  const code = readFileSync(path);
  seen.set(file, { raw: code.length, gzip: gzipSync(code, { level: 9 }).length });
  queue.push(...staticImports(file, code.toString("utf8")));
}

/** @param {number} bytes */
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
let total = 0;
for (const [file, size] of [...seen].sort((a, b) => b[1].gzip - a[1].gzip)) {
  total += size.gzip;
  console.log(`${kib(size.gzip).padStart(10)} gzip  ${kib(size.raw).padStart(10)} raw  ${file}`);
}
console.log(`initial JavaScript: ${kib(total)} gzipped (budget ${kib(BUDGET_BYTES)})`);
if (total > BUDGET_BYTES) {
  console.error("over budget: move code behind a lazy route or drop a dependency");
  process.exit(1);
}
