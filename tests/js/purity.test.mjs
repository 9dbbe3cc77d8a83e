// The page's logic modules stay pure: no DOM, no browser globals, no network, no packages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const MODULES = ["format", "i18n", "timeline", "chain-rule", "writing", "share", "store", "train-model", "train-rules",
  "collapse", "node-sizes", "practice", "compare", "layout", "sugiyama", "ahead"];
const FORBIDDEN = /\b(document|window|globalThis|navigator|localStorage|sessionStorage|location|fetch|XMLHttpRequest|setTimeout|setInterval|requestAnimationFrame|Math\.random|Date\.now|console)\b/;

for (const name of MODULES) {
  test(`${name}.js uses no browser globals, timers or network`, () => {
    const source = readFileSync(new URL(`../../static/js/${name}.js`, import.meta.url), "utf8");
    const code = source.split("\n").filter((line) => !/^\s*(\/\/|\*|\/\*\*)/.test(line)).join("\n");
    assert.doesNotMatch(code, FORBIDDEN);
    for (const [, spec] of code.matchAll(/\bfrom\s+["']([^"']+)["']/g)) {
      assert.match(spec, /^\.\/[a-z0-9-]+\.js$/, `${name}.js imports ${spec}`);
    }
  });

  test(`${name}.js has named exports only`, async () => {
    const mod = await import(`../../static/js/${name}.js`);
    assert.equal(mod.default, undefined);
    assert.ok(Object.keys(mod).length > 0);
  });
}
