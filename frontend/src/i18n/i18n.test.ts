import { describe, expect, it } from "vitest";
import { en } from "./locales/en";
import { zhCN } from "./locales/zh-CN";

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const variables = (text: string) => [...text.matchAll(/{{\s*(\w+)\s*}}/g)].map((m) => m[1]).sort();

describe("translations", () => {
  const english = flatten(en);
  const chinese = flatten(zhCN);

  it("have every key in both languages", () => {
    expect([...chinese.keys()].sort()).toEqual([...english.keys()].sort());
  });

  it("have no empty text", () => {
    for (const [key, text] of [...english, ...chinese]) {
      expect(text.trim(), key).not.toBe("");
    }
  });

  it("use the same placeholders in both languages", () => {
    for (const [key, text] of english) {
      expect(variables(chinese.get(key) ?? ""), key).toEqual(variables(text));
    }
  });

  it("are really translated", () => {
    // Names of things ("Agent") stay as they are; every sentence is translated.
    const kept = new Set(["logs.sources.agent"]);
    const untranslated = [...english]
      .filter(
        ([key, text]) => !kept.has(key) && chinese.get(key) === text && /[a-z]{4,}/.test(text),
      )
      .map(([key]) => key);
    expect(untranslated).toEqual([]);
  });
});
