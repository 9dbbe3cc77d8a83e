"""The expression language (DESIGN §3): one regex for tokens, one loop for the grammar.

The parser is an operator-precedence (shunting-yard) loop with explicit stacks, so no input,
however long or deeply nested, can exhaust Python's recursion. The op stack's length is the
nesting depth (open parentheses and calls, pending unary minus and right-associative
powers), checked against `Limits.max_depth`. Nodes are emitted in postfix order, so their
ids are already a topological order.

Precedence, loosest first: `+ -` (1), `* / @` (2), unary `- +` (3), `** ^` (4, right-assoc).
"""

import difflib
import itertools
import math
import re
import unicodedata

from .errors import ExpressionError
from .limits import DEFAULT_LIMITS
from .ops import BINARY, CONSTANTS, FUNCTIONS, OPS

_TOKEN = re.compile(
    r"[ \t\r]+|\n|#[^\n]*"
    r"|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|[A-Za-z_][A-Za-z0-9_]*|\*\*|.",
    re.S,
)

# Token classes by first character; anything missing is an invalid character.
SPACE, NEWLINE, NUMBER, NAME, OPERATOR, LPAREN, RPAREN, COMMA, SEMI, ASSIGN = range(10)
_CLASS = {c: SPACE for c in " \t\r#"}
_CLASS.update({c: NUMBER for c in "0123456789."})
_CLASS.update({c: NAME for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"})
_CLASS.update({c: OPERATOR for c in "+-*/@^"})
_CLASS.update({"\n": NEWLINE, "(": LPAREN, ")": RPAREN, ",": COMMA, ";": SEMI, "=": ASSIGN})

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "**": 4, "^": 4}
_UNARY_PREC = 3
BIN, UNARY, PAREN, CALL = range(4)  # op-stack entry tags
MAX_NAME = 32
_NEG = OPS["neg"]


class Program:
    """A parsed expression: IR nodes in topological order, before values are known.

    `ops[i]` is an Op, "var" or "const"; `args[i]` the input ids; `spans[i]` (start, end);
    `labels[i]` (leaves only) the variable name or the literal's text. `names` maps node id -> the first
    name assigned to it; `variables` maps each free variable to its node, in order of first
    use; `output` is the last statement's node.
    """

    __slots__ = ("text", "ops", "args", "spans", "labels", "consts", "names", "variables",
                 "blocks", "output")

    def __init__(self, text):
        self.text = text
        self.ops, self.args, self.spans = [], [], []
        self.labels, self.consts, self.names, self.variables = {}, {}, {}, {}
        self.blocks = {}  # node id -> {"id", "op"} for nodes of an expanded composite
        self.output = None

    def __len__(self):
        return len(self.ops)


def _error(type, start, end, msg, msg_ko):
    return ExpressionError(type, start, end, msg, msg_ko)


def _expected_operand(pos, end, at_end):
    if at_end:
        return _error("syntax_error", pos, end,
                      "unexpected end of input: expected a number, a name or '('",
                      "입력이 예기치 않게 끝났습니다: 숫자, 이름 또는 '('가 와야 합니다")
    return _error("syntax_error", pos, end, "expected a number, a name or '(' here",
                  "여기에는 숫자, 이름 또는 '('가 와야 합니다")


def parse(text, limits=DEFAULT_LIMITS):
    """Parse `text` into a Program, or raise ExpressionError at the first problem."""
    if not isinstance(text, str):
        raise TypeError("expression must be a str")
    n = len(text)
    if n > limits.max_chars:
        raise _error("limit_exceeded", limits.max_chars, n,
                     f"the expression is longer than {limits.max_chars} characters",
                     f"식이 {limits.max_chars}자보다 깁니다")
    prog = Program(text)
    # Hot loop below: locals, inlined node creation and tuples, because a 10,000-operation
    # program is ~60,000 tokens and every microsecond per token shows.
    ops, args, spans, labels = prog.ops, prog.args, prog.spans, prog.labels
    consts, variables = prog.consts, prog.variables
    assigned = {}  # name -> node id, for `name = expr`
    max_depth = limits.max_depth
    classes, prec_of, binary = _CLASS, _PREC, BINARY

    toks = _TOKEN.findall(text)
    starts = list(itertools.accumulate(map(len, toks), initial=0))
    ntok = len(toks)

    vals, vstart, vend = [], [], []  # operand stack: node ids and their source extents
    stack = []  # op stack: (prec, tag, op, start)
    argcs = []  # argument counts of the open calls
    open_count = 0  # parentheses and calls on the stack
    expect_operand = True
    stmt_empty = True  # nothing but an optional `name =` seen in this statement
    assign = None  # (name, start, end) of a pending `name = `
    opened_call = False  # the previous token opened a call, so `)` now means `f()`
    i = 0

    while i < ntok:
        tok = toks[i]
        cls = classes.get(tok[0])
        i += 1
        if cls is SPACE:
            continue
        pos = starts[i - 1]
        if cls is None or (cls is NUMBER and tok == "."):
            raise _invalid_character(tok, pos)
        just_called, opened_call = opened_call, False

        if expect_operand:
            if cls is NAME:
                end = starts[i]
                j = i
                while j < ntok and classes.get(toks[j][0]) is SPACE:
                    j += 1
                nxt = toks[j] if j < ntok else ""
                if nxt == "(":
                    op = FUNCTIONS.get(tok)
                    if op is None:
                        raise _unknown_function(tok, pos, end)
                    stack.append((0, CALL, op, pos))
                    argcs.append(0)
                    if len(stack) > max_depth:
                        raise _too_deep(max_depth, pos, end)
                    open_count += 1
                    i = j + 1
                    stmt_empty = False
                    opened_call = True
                    continue
                if nxt == "=" and stmt_empty and assign is None:
                    _check_assign_target(tok, pos, end, assigned, variables)
                    assign = (tok, pos, end)
                    i = j + 1
                    continue
                node = assigned.get(tok)
                if node is None:
                    node = variables.get(tok)
                    if node is None:
                        node = _new_name_node(prog, tok, pos, end, limits)
                vals.append(node)
                vstart.append(pos)
                vend.append(end)
                expect_operand = stmt_empty = False
            elif cls is NUMBER:
                end = starts[i]
                value = float(tok)
                if value == math.inf:
                    raise _error("invalid_value", pos, end,
                                 "this number is too large for a 64-bit float",
                                 "이 숫자는 64비트 실수로 나타내기에 너무 큽니다")
                node = len(ops)
                ops.append("const")
                args.append(())
                spans.append((pos, end))
                labels[node] = tok
                consts[node] = value
                vals.append(node)
                vstart.append(pos)
                vend.append(end)
                expect_operand = stmt_empty = False
            elif cls is NEWLINE:
                continue  # a statement may continue after an operator or `=`
            elif cls is LPAREN:
                stack.append((0, PAREN, None, pos))
                if len(stack) > max_depth:
                    raise _too_deep(max_depth, pos, pos + 1)
                open_count += 1
                stmt_empty = False
            elif tok == "-":
                stack.append((_UNARY_PREC, UNARY, _NEG, pos))
                if len(stack) > max_depth:
                    raise _too_deep(max_depth, pos, pos + 1)
                stmt_empty = False
            elif tok == "+":
                stmt_empty = False  # unary plus changes nothing, so it makes no node
            elif cls is SEMI and stmt_empty and assign is None:
                continue  # an empty statement
            elif cls is RPAREN and just_called:
                raise _arity(stack[-1][2], 0, stack[-1][3], pos + 1)
            else:
                raise _expected_operand(pos, starts[i], False)
            continue

        # expecting an operator
        if cls is OPERATOR:
            prec = prec_of[tok]
            while stack:
                top = stack[-1]
                if top[0] < prec or (top[0] == prec and prec == 4):  # `**` is right-assoc
                    break
                stack.pop()
                _reduce(top, ops, args, spans, vals, vstart, vend)
            stack.append((prec, BIN, binary[tok], pos))
            if len(stack) > max_depth:
                raise _too_deep(max_depth, pos, starts[i])
            expect_operand = True
        elif cls is RPAREN:
            while stack and stack[-1][1] < PAREN:
                _reduce(stack.pop(), ops, args, spans, vals, vstart, vend)
            if not stack:
                raise _error("syntax_error", pos, pos + 1, "this ')' has no matching '('",
                             "이 ')'에 짝이 맞는 '('가 없습니다")
            _, tag, op, start = stack.pop()
            open_count -= 1
            end = pos + 1
            if tag == PAREN:
                vstart[-1], vend[-1] = start, end
            else:
                argc = argcs.pop() + 1
                if argc != op.arity:
                    raise _arity(op, argc, start, end)
                node = len(ops)
                ops.append(op)
                args.append(tuple(vals[-argc:]))
                spans.append((start, end))
                del vals[-argc:], vstart[-argc:], vend[-argc:]
                vals.append(node)
                vstart.append(start)
                vend.append(end)
        elif cls is NEWLINE and open_count:
            continue  # inside parentheses a newline is just space
        elif cls is NEWLINE or cls is SEMI:
            _end_statement(prog, stack, vals, vstart, vend, assign, assigned, pos, limits)
            stmt_empty, assign, expect_operand = True, None, True
        elif cls is COMMA:
            while stack and stack[-1][1] < PAREN:
                _reduce(stack.pop(), ops, args, spans, vals, vstart, vend)
            if not stack or stack[-1][1] != CALL:
                raise _error("syntax_error", pos, pos + 1,
                             "',' may only separate the arguments of a function call",
                             "','는 함수 호출의 인자 사이에만 쓸 수 있습니다")
            argcs[-1] += 1
            expect_operand = True
        elif cls is ASSIGN:
            raise _error("syntax_error", pos, pos + 1,
                         "'=' may only follow a name at the start of a statement",
                         "'='는 문장 맨 앞의 이름 뒤에만 올 수 있습니다")
        else:  # a name, a number or '(' right after an operand
            raise _error("syntax_error", pos, starts[i],
                         "expected an operator here (write 2*x for a product, not 2x)",
                         "여기에는 연산자가 와야 합니다(곱은 2x가 아니라 2*x로 씁니다)")

    if expect_operand:
        if not stmt_empty or assign is not None or stack:
            raise _expected_operand(n, n, True)
    else:
        _end_statement(prog, stack, vals, vstart, vend, assign, assigned, n, limits)
    if prog.output is None:
        raise _error("syntax_error", n, n, "the expression is empty", "식이 비어 있습니다")
    return prog


def _reduce(top, ops, args, spans, vals, vstart, vend):
    """Apply the operator popped off the op stack to the operands on top of the stack."""
    node = len(ops)
    ops.append(top[2])
    if top[1] == BIN:
        b = vals.pop()
        vstart.pop()
        end = vend.pop()
        args.append((vals[-1], b))
        spans.append((vstart[-1], end))
        vend[-1] = end
    else:  # unary minus
        args.append((vals[-1],))
        spans.append((top[3], vend[-1]))
        vstart[-1] = top[3]
    vals[-1] = node


def _end_statement(prog, stack, vals, vstart, vend, assign, assigned, pos, limits):
    n = len(prog.text)
    while stack:
        if stack[-1][1] >= PAREN:
            open_pos = stack[-1][3]
            raise _error("syntax_error", pos, pos if pos >= n else pos + 1,
                         f"expected ')' to close the '(' at position {open_pos}",
                         f"위치 {open_pos}의 '('를 닫는 ')'가 필요합니다")
        _reduce(stack.pop(), prog.ops, prog.args, prog.spans, vals, vstart, vend)
    if len(prog.ops) > limits.max_nodes:
        start, end = prog.spans[limits.max_nodes]
        raise _error("limit_exceeded", start, end,
                     f"the expression has more than {limits.max_nodes} nodes",
                     f"식의 노드가 {limits.max_nodes}개를 넘습니다")
    node = vals.pop()
    vstart.pop()
    vend.pop()
    if assign is not None:
        name = assign[0]
        if name in prog.variables:
            raise _error("syntax_error", assign[1], assign[2],
                         "a name cannot be used in its own definition",
                         "이름을 자기 정의 안에서 쓸 수 없습니다")
        assigned[name] = node
        if node not in prog.names and prog.ops[node] != "var":
            prog.names[node] = name
    prog.output = node


def _too_deep(max_depth, pos, end):
    return _error("limit_exceeded", pos, end, f"nesting is deeper than {max_depth} levels",
                  f"중첩이 {max_depth}단계보다 깊습니다")


def _check_assign_target(name, pos, end, assigned, variables):
    _check_name(name, pos, end)
    if name in FUNCTIONS or name in CONSTANTS:
        raise _error("reserved_name", pos, end,
                     "this name belongs to a built-in function or constant",
                     "이 이름은 내장 함수나 상수의 이름입니다")
    if name in assigned:
        raise _error("syntax_error", pos, end, "this name is already assigned; a name is "
                     "assigned once", "이 이름은 이미 할당되었습니다. 이름은 한 번만 할당합니다")
    if name in variables:
        raise _error("syntax_error", pos, end,
                     "this name is used earlier as an input variable, so it cannot be assigned",
                     "이 이름은 앞에서 입력 변수로 쓰였으므로 할당할 수 없습니다")


def _check_name(name, pos, end):
    if name.startswith("__"):
        raise _error("reserved_name", pos, end, "names starting with '__' are reserved",
                     "'__'로 시작하는 이름은 예약되어 있습니다")
    if len(name) > MAX_NAME:
        raise _error("syntax_error", pos, end, f"names are at most {MAX_NAME} characters",
                     f"이름은 최대 {MAX_NAME}자입니다")


def _new_name_node(prog, name, pos, end, limits):
    """A name seen for the first time: a constant, or a new free variable."""
    if name in CONSTANTS:
        value, label = CONSTANTS[name]
        kind = "const"
    elif name in FUNCTIONS:
        raise _error("syntax_error", pos, end,
                     "this is a function: call it with parentheses, e.g. exp(x)",
                     "이것은 함수입니다. exp(x)처럼 괄호로 호출하세요")
    else:
        _check_name(name, pos, end)
        if len(prog.variables) >= limits.max_variables:
            raise _error("limit_exceeded", pos, end,
                         f"the expression uses more than {limits.max_variables} variables",
                         f"식에 쓰인 변수가 {limits.max_variables}개를 넘습니다")
        label, kind = name, "var"
    node = len(prog.ops)
    prog.ops.append(kind)
    prog.args.append(())
    prog.spans.append((pos, end))
    prog.labels[node] = label
    if kind == "const":
        prog.consts[node] = value
    else:
        prog.variables[name] = node
    return node


def _unknown_function(name, pos, end):
    if name in CONSTANTS:
        return _error("unknown_function", pos, end, "this is a constant, not a function",
                      "이것은 함수가 아니라 상수입니다")
    close = difflib.get_close_matches(name, sorted(FUNCTIONS), n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    hint_ko = f" {close[0]}을(를) 뜻했나요?" if close else ""
    return _error("unknown_function", pos, end,
                  "unknown function." + hint + " See the list of functions.",
                  "알 수 없는 함수입니다." + hint_ko + " 함수 목록을 확인하세요.")


def _arity(op, got, start, end):
    return _error("arity", start, end,
                  f"{op.name} takes {op.arity} argument{'s' if op.arity > 1 else ''}, "
                  f"not {got}",
                  f"{op.name} 함수는 인자 {op.arity}개를 받습니다({got}개가 아님)")


# Look-alikes people paste from documents, with the ASCII they meant.
_HINTS = {
    "−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-", "﹣": "-", "－": "-",
    "×": "*", "∗": "*", "⋅": "*", "·": "*", "✕": "*", "＊": "*",
    "÷": "/", "∕": "/", "／": "/", "＋": "+", "＝": "=",
    "²": "**2", "³": "**3", "¹": "**1",
    "（": "(", "）": ")", "，": ",", "；": ";",
    "π": "pi", "σ": "sigmoid(…)", "Σ": "sum(…)", "∑": "sum(…)", "√": "sqrt(…)",
}
_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


def _invalid_character(ch, pos):
    code = ord(ch)
    name = unicodedata.name(ch, "")
    what = f"U+{code:04X}" + (f" {name}" if name else "")
    if ch in _HINTS:
        return _error("invalid_character", pos, pos + 1,
                      f"invalid character {what}: use {_HINTS[ch]!r} instead",
                      f"잘못된 문자 {what}: 대신 {_HINTS[ch]!r}를 쓰세요")
    if ch in _SPACES:
        hint, hint_ko = "use a plain space", "일반 공백을 쓰세요"
    elif code < 32 or code == 127 or unicodedata.category(ch) in ("Cf", "Cc"):
        hint, hint_ko = "control and invisible characters are not allowed", \
            "제어 문자와 보이지 않는 문자는 쓸 수 없습니다"
    elif ch in "[]":
        hint, hint_ko = "indexing is not supported", "인덱싱은 지원하지 않습니다"
    elif ch == ".":
        hint, hint_ko = "'.' may only appear in a number; there is no attribute access", \
            "'.'는 숫자 안에만 쓸 수 있습니다. 속성 접근은 없습니다"
    elif ch in "'\"`‘’“”":
        hint, hint_ko = "strings are not supported", "문자열은 지원하지 않습니다"
    elif code > 127:
        hint, hint_ko = "only ASCII characters are allowed", "ASCII 문자만 쓸 수 있습니다"
    else:
        hint, hint_ko = "this character is not part of the language", "이 문자는 식 언어에 없습니다"
    return _error("invalid_character", pos, pos + 1, f"invalid character {what}: {hint}",
                  f"잘못된 문자 {what}: {hint_ko}")
