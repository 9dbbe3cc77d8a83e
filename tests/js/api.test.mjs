// Reading the API's answers: error details, and objects keyed by the user's names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { firstError, own } from "../../static/js/api.js";

test("own reads only own properties: a name like constructor never finds Object.prototype", () => {
  const gradients = JSON.parse('{"constructor": 3, "x": -4, "__proto__": 5}');
  assert.equal(own(gradients, "constructor"), 3);
  assert.equal(own(gradients, "__proto__"), 5);
  assert.equal(own(gradients, "x"), -4);
  for (const name of ["toString", "hasOwnProperty", "valueOf", "isPrototypeOf", "propertyIsEnumerable",
    "toLocaleString", "y"]) {
    assert.equal(own(gradients, name), undefined, name);
    assert.equal(own({}, name), undefined, name);
  }
  for (const notObject of [null, undefined, 7, "constructor"]) assert.equal(own(notObject, "constructor"), undefined);
});

test("firstError reads FastAPI's detail list, with the Korean message when there is one", () => {
  const result = { data: { detail: [{ type: "parse_error", loc: ["body", "expression"], msg: "bad",
    ctx: { msg_ko: "잘못", start: 2, end: 3 } }] } };
  assert.deepEqual(firstError(result), { type: "parse_error", msg: "bad", msg_ko: "잘못", start: 2, end: 3,
    loc: ["body", "expression"] });
  assert.equal(firstError({ data: null }), null);
  assert.equal(firstError(null), null);
});
