// Every string the page shows exists in Korean and English, with the same placeholders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_LANG, LANGS, STRINGS, detectLang, otherLang, paramsOf, t } from "../../static/js/i18n.js";

// The keys the page (static/app.js, graph-view.js) relies on.
const UI_KEYS = `app.title app.tagline expr.label expr.placeholder expr.hint run values.title values.empty
values.hint output_grad.label output_grad.hint expand.label constants.label seed.given functions.title examples.label examples.choose
explanation.title timeline.title timeline.prev timeline.next timeline.play timeline.pause
timeline.reset timeline.end timeline.jump_forward timeline.jump_backward timeline.speed
timeline.scrub timeline.counter graph.label phase.start phase.forward phase.backward phase.end chain.title
chain.idle gradcheck.title gradcheck.run gradcheck.variable gradcheck.backprop gradcheck.numeric
gradcheck.rel_error gradcheck.cost gradcheck.pass gradcheck.fail gradcheck.sampled lang.toggle
theme.toggle theme.light theme.dark share.button share.copied share.invalid share.too_long export.svg export.png export.json export.label
zoom.fit zoom.in zoom.out groups.open_all groups.close_all groups.box precision.label error.network error.server warnings.title node.value
node.grad node.local node.shape node.kind.variable node.kind.constant node.kind.op fork.title
fork.sum legend.positive legend.negative legend.value_above legend.grad_below legend.param legend.data panel.ops heat.caption
footer.tutorial loading`.split(/\s+/);

test("both languages have exactly the same keys", () => {
  assert.deepEqual(Object.keys(STRINGS.ko).sort(), Object.keys(STRINGS.en).sort());
  assert.deepEqual([...LANGS].sort(), Object.keys(STRINGS).sort());
});

test("every key the page uses exists", () => {
  for (const key of UI_KEYS) assert.ok(Object.hasOwn(STRINGS.en, key), key);
});

test("no string is empty and every string is text", () => {
  for (const lang of LANGS) {
    for (const [key, value] of Object.entries(STRINGS[lang])) {
      assert.equal(typeof value, "string", `${lang}:${key}`);
      assert.ok(value.trim().length > 0, `${lang}:${key} is empty`);
    }
  }
});

test("both languages use the same {params} in every template", () => {
  for (const key of Object.keys(STRINGS.en)) {
    assert.deepEqual(paramsOf(STRINGS.ko[key]), paramsOf(STRINGS.en[key]), key);
  }
});

test("the Korean strings are actually Korean where they are words", () => {
  const hangul = /[\uac00-\ud7a3]/;
  const untranslated = Object.keys(STRINGS.en).filter(
    (key) => STRINGS.ko[key] === STRINGS.en[key] && /[a-z]{3}/i.test(STRINGS.en[key]));
  // The language switch names the other language, so the Korean page shows "English".
  assert.deepEqual(untranslated, []);
  assert.ok(hangul.test(t("ko", "phase.backward")));
});

test("the Korean text uses the tutorial's terms", () => {
  assert.equal(t("ko", "phase.forward"), "순전파");
  assert.equal(t("ko", "phase.backward"), "역전파");
  assert.equal(t("ko", "chain.title"), "연쇄법칙");
  assert.equal(t("ko", "node.local"), "지역 기울기");
  assert.match(t("ko", "fork.title", { name: "x", count: 2 }), /분기 지점.*누적/);
});

test("t interpolates {params} and leaves unknown ones visible", () => {
  assert.equal(t("en", "timeline.counter", { k: 3, n: 7 }), "3 / 7");
  assert.equal(t("en", "fork.title", { name: "x", count: 2 }), "x is used 2 times: its gradient is the sum");
  assert.equal(t("en", "gradcheck.cost", { evals: 12 }), "12 forward evaluations for the numeric check vs 1 backward pass");
  assert.equal(t("en", "timeline.counter", { k: 1 }), "1 / {n}");
  assert.equal(t("en", "timeline.counter", null), "{k} / {n}");
});

test("t never throws: a missing key returns the key, an unknown language falls back to English", () => {
  assert.equal(t("en", "no.such.key"), "no.such.key");
  assert.equal(t("ko", "no.such.key", { a: 1 }), "no.such.key");
  assert.equal(t("fr", "run"), STRINGS[DEFAULT_LANG].run);
  assert.equal(t(undefined, undefined), "undefined");
  assert.equal(t("en", "__proto__"), "__proto__");
  assert.equal(t("en", "toString"), "toString");
});

test("the language toggle is labelled with the other language", () => {
  assert.equal(t("en", "lang.toggle"), "한국어");
  assert.equal(t("ko", "lang.toggle"), "English");
  assert.equal(otherLang("ko"), "en");
  assert.equal(otherLang("en"), "ko");
});

test("detectLang picks Korean only when it comes before English", () => {
  assert.equal(detectLang(["ko-KR", "en-US"]), "ko");
  assert.equal(detectLang(["ko"]), "ko");
  assert.equal(detectLang(["en-US", "ko-KR"]), "en");
  assert.equal(detectLang(["ja-JP", "ko-KR", "en"]), "ko");
  assert.equal(detectLang(["fr", "de"]), "en");
  assert.equal(detectLang(["KO_kr"]), "ko");
  assert.equal(detectLang("ko-KR"), "ko");
  assert.equal(detectLang([]), "en");
  assert.equal(detectLang(undefined), "en");
  assert.equal(detectLang([null, 3, "kok"]), "en");
});

test("counts read right: 1 step, 2 steps, in both languages", () => {
  assert.equal(t("en", "train.run_summary", { count: 1, first: 3, last: 1 }), "1 step: 3 → 1");
  assert.equal(t("en", "train.run_summary", { count: 2, first: 3, last: 1 }), "2 steps: 3 → 1");
  assert.equal(t("en", "train.status.done", { count: 1, first: 3, last: 1 }), "Done: 1 update, loss 3 → 1.");
  assert.equal(t("ko", "train.run_summary", { count: 1, first: 3, last: 1 }), "1단계: 3 → 1");
  for (const key of Object.keys(STRINGS.en).filter((k) => k.endsWith(".one"))) {
    assert.ok(Object.hasOwn(STRINGS.en, key.slice(0, -4)), key);
    assert.ok(paramsOf(STRINGS.en[key]).includes("count"), key);
  }
});
