"""The expression language (docs/engine.md, "The language"): a tokenizer and a small parser.

`parse(text)` splits the text into tokens with one regex, then `_Parser` reads them with one
method per grammar entry:

    program    = statement { (";" | NEWLINE) statement }
    statement  = [ NAME "=" ] expression          (or nothing: an empty statement)
    expression = operand { binary-operator operand }      by precedence climbing
    operand    = { "-" | "+" } ( NUMBER | NAME | NAME "(" arguments ")" | "(" expression ")" )

Precedence climbing keeps its pending work on an explicit stack of frames (binary
operators, unary minus, open parentheses and calls) instead of recursing, so no input,
however long or deeply nested, can exhaust Python's recursion. The stack's length is the
nesting depth, checked against `Limits.max_depth`. Nodes are emitted in postfix order, so
their ids are already a topological order.

Precedence, loosest first: `+ -` (1), `* / @` (2, with `×`, `÷` and `·` for dot), unary
`- +` (3), `** ^` (4, right-assoc). `−` (U+2212) is `-`.
"""

import difflib
import functools
import itertools
import math
import re
import unicodedata

from .errors import ExpressionError
from .limits import DEFAULT_LIMITS
from .names import MAX_NAME, OPERATOR_DOTS, describe, name_problem
from .ops import BINARY, CONSTANT_LABELS, CONSTANTS, FUNCTIONS, OPS, Op

_BLANKS = " \t\r"  # spaces between tokens
_COMMENT = re.compile(r"#[^\n]*")
_NUMBER = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
# One match is a token and the spaces after it (so spaces never become tokens of their
# own); comments are blanked out before. A name is a run of word characters not starting
# with a digit; whether it is a valid name (names.py) is checked when it is first used.
# ASCII text, the common case, needs no more.
_TOKEN_ASCII = re.compile(f"(?:{_NUMBER}|[A-Za-z_][A-Za-z0-9_]*|\\*\\*|.)[ \t\r]*", re.S)


@functools.cache
def _token_unicode():
    """The tokenizer for non-ASCII text: Python's `\\w` lacks the combining marks (Mn, Mc)
    that may continue an identifier (Thai, Devanagari...), so they are added. Built on
    first use (~50 ms), so ASCII-only processes never pay for it."""
    text = "".join(map(chr, range(0x80, 0x20000))) + "".join(map(chr, range(0xE0100, 0xE01F0)))
    extra = [c for c in re.findall(r"\W", text)
             if ("a" + c).isidentifier() and c not in OPERATOR_DOTS]
    word = f"[^\\W\\d][\\w{re.escape(''.join(extra))}]*"
    return re.compile(f"(?:{_NUMBER}|{word}|\\*\\*|.)[ \t\r]*", re.S)


# Token classes by first character; None for anything else (a non-ASCII name or an
# invalid character).
NEWLINE, NUMBER, NAME, OPERATOR, LPAREN, RPAREN, COMMA, SEMI, ASSIGN, END = range(10)
# The token after the last one. U+0000 in the text is also classed END, so the parser checks
# the index (`_Parser.last`) before it believes it is at the end.
_END = "\x00"
_CLASS = {c: NUMBER for c in "0123456789."}
_CLASS.update({c: NAME for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"})
_CLASS.update({c: OPERATOR for c in "+-*/@^\u2212\u00d7\u00f7\u00b7"})
_CLASS.update({_END: END, "\n": NEWLINE, "(": LPAREN, ")": RPAREN, ",": COMMA, ";": SEMI,
               "=": ASSIGN})

# The symbols the page and the CLI print are input too: − (U+2212) × ÷ and · (dot).
_SYMBOLS = {"\u2212": "-", "\u00d7": "*", "\u00f7": "/"}
_BINARY = {**BINARY, **{s: BINARY[a] for s, a in _SYMBOLS.items()}, "\u00b7": OPS["dot"]}
_PREC = {"+": 1, "-": 1, "\u2212": 1, "*": 2, "/": 2, "@": 2, "\u00d7": 2, "\u00f7": 2,
         "\u00b7": 2, "**": 4, "^": 4}
_UNARY_PREC = 3
_POWER_PREC = 4  # the one right-associative level
_MINUS = ("-", "\u2212")
_NEG = OPS["neg"]
# Printed labels that read as names: π is the constant pi (the page labels it so).
_CONSTANT_ALIASES = CONSTANT_LABELS
# Printed labels of functions, for "did you mean" when they are called.
_FUNCTION_LABELS = {"\u03c3": "sigmoid", "\u03a3": "sum"}

BIN, UNARY, PAREN, CALL = range(4)  # frame kinds; PAREN and CALL are the open ones


# A frame is pending work on the parser's stack, a plain tuple (cheap to make: one per
# operator) always unpacked into named locals:
#     (prec, kind, op, start, base)
# prec: binding strength (0 for '(' and calls); kind: BIN (a binary operator waiting for its
# right operand), UNARY (a minus waiting for its operand), PAREN or CALL; op: the Op (None
# for PAREN); start: its offset in the text (the operator, the '(' or the function's name);
# base: for CALL, the operand-stack height when it opened, so its argument count is
# len(operands) - base when it closes.


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


def parse(text, limits=DEFAULT_LIMITS):
    """Parse `text` into a Program, or raise ExpressionError at the first problem."""
    if not isinstance(text, str):
        raise TypeError("expression must be a str")
    n = len(text)
    if n > limits.max_chars:
        raise _error("limit_exceeded", limits.max_chars, n,
                     f"the expression is longer than {limits.max_chars} characters",
                     f"식이 {limits.max_chars}자보다 깁니다")
    return _Parser(text, limits).program()


class _Parser:
    """One parse: the token list, the Program being built, and the explicit stacks.

    `operands` holds `(node, start, end)`: a parsed operand and its extent in the text;
    `frames` holds the pending frames (see above). Hot paths use locals, because a 10,000-operation
    program is ~60,000 tokens and every microsecond per token shows.
    """

    def __init__(self, text, limits):
        self.text, self.limits = text, limits
        self.prog = Program(text)
        if "#" in text:  # blank out comments (same length, so offsets stay exact)
            text = _COMMENT.sub(lambda m: " " * len(m.group()), text)
        tokenizer = _TOKEN_ASCII if text.isascii() else _token_unicode()
        lead = len(text) - len(text.lstrip(_BLANKS))
        raw = tokenizer.findall(text, lead)  # tokens with their trailing spaces
        # C-level, as this runs once per token: where each token starts, and the token.
        offsets = list(itertools.accumulate(map(len, raw), initial=lead))
        toks = list(map(str.rstrip, raw, itertools.repeat(_BLANKS)))
        toks.append(_END)  # at offsets[-1] == len(text)
        self.toks, self.offsets = toks, offsets
        self.last = len(toks) - 1  # the index of the end marker
        self.i = 0  # the next token
        self.operands = []  # (node, start, end)
        self.frames = []  # (prec, kind, op, start, base)
        self.open = 0  # parentheses and calls among the frames
        self.assigned = {}  # name -> node id, for `name = expr`

    # ------------------------------------------------------------ program and statement

    def program(self):
        toks, n = self.toks, self.last
        while self.i < n:
            tok = toks[self.i]
            if tok == ";" or tok == "\n":
                self.i += 1  # an empty statement
                continue
            self.statement()
        if self.prog.output is None:
            end = len(self.text)
            raise _error("syntax_error", end, end, "the expression is empty", "식이 비어 있습니다")
        return self.prog

    def statement(self):
        """`[name =] expression`, up to a `;`, a newline outside parentheses, or the end."""
        toks, offsets, i = self.toks, self.offsets, self.i
        target = None
        tok = toks[i]
        if _CLASS.get(tok[0], NAME) is NAME and toks[i + 1] == "=" and _is_word(tok):
            target = (tok, offsets[i], offsets[i] + len(tok))
            self.check_assign_target(*target)
            self.i = i + 2
        self.expression()
        self.end_statement(target)

    def end_statement(self, target):
        prog, limits = self.prog, self.limits
        node = self.operands.pop()[0]
        if len(prog.ops) > limits.max_nodes:
            start, end = prog.spans[limits.max_nodes]
            raise _error("limit_exceeded", start, end,
                         f"the expression has more than {limits.max_nodes} nodes",
                         f"식의 노드가 {limits.max_nodes}개를 넘습니다")
        if target is not None:
            name, start, end = target
            if name in prog.variables:
                raise _error("syntax_error", start, end,
                             "a name cannot be used in its own definition",
                             "이름을 자기 정의 안에서 쓸 수 없습니다")
            self.assigned[name] = node
            if node not in prog.names and prog.ops[node] != "var":
                prog.names[node] = name
        prog.output = node

    # ------------------------------------------------------------ expression

    def expression(self):
        """Operands and binary operators, by precedence climbing, until the statement ends.

        Two phases alternate. Before an operand: prefix `-`/`+`, `(` and `f(` are pushed as
        frames, then one atom (a number or a name) goes on the operand stack. After an
        operand: a binary operator first reduces the frames that bind at least as tightly
        (all levels are left-associative but `**`) and is pushed; `)` closes the innermost
        parenthesis or call (`close`), `,` ends an argument (`comma`), and `;`, a newline
        outside parentheses or the end finishes the statement (`finish`).

        This is the hot loop (a 10,000-operation program is ~60,000 tokens), so it keeps
        its state in locals and does the common cases (numbers, known names, operators,
        parentheses) inline; the rarer entries are methods.
        """
        toks, offsets, classes = self.toks, self.offsets, _CLASS
        frames, operands, prog = self.frames, self.operands, self.prog
        ops, args, spans = prog.ops, prog.args, prog.spans
        assigned, variables = self.assigned, prog.variables
        prec_of, binary, reduce = _PREC, _BINARY, self.reduce
        max_depth = self.limits.max_depth
        i = self.i
        while True:
            # ---- before an operand
            while True:
                tok = toks[i]
                cls = classes.get(tok[0])
                pos = offsets[i]
                i += 1
                if cls is NAME or (cls is None and _is_word(tok)):
                    if toks[i] == "(":
                        self.i = i
                        self.call(tok, pos)
                        i = self.i
                        continue
                    end = pos + len(tok)
                    node = assigned.get(tok)
                    if node is None:
                        node = variables.get(tok)
                        if node is None:
                            node = self.new_name(tok, pos, end)
                    operands.append((node, pos, end))
                    break
                if cls is NUMBER and tok != ".":
                    end = pos + len(tok)
                    node = len(ops)
                    value = float(tok)
                    if value == math.inf:
                        raise _error("invalid_value", pos, end,
                                     "this number is too large for a 64-bit float",
                                     "이 숫자는 64비트 실수로 나타내기에 너무 큽니다")
                    ops.append("const")
                    args.append(())
                    spans.append((pos, end))
                    prog.labels[node] = tok
                    prog.consts[node] = value
                    operands.append((node, pos, end))
                    break
                if cls is LPAREN:
                    frames.append((0, PAREN, None, pos, 0))
                    if len(frames) > max_depth:
                        raise _too_deep(max_depth, pos, pos + 1)
                    self.open += 1
                elif tok in _MINUS:
                    frames.append((_UNARY_PREC, UNARY, _NEG, pos, 0))
                    if len(frames) > max_depth:
                        raise _too_deep(max_depth, pos, pos + 1)
                elif tok == "+" or cls is NEWLINE:
                    pass  # unary plus makes no node; an operand may follow on the next line
                else:
                    self.i = i - 1
                    self.expected_operand(tok, pos)
            # ---- after an operand
            while True:
                tok = toks[i]
                cls = classes.get(tok[0])
                while cls is NEWLINE and self.open:  # inside parentheses a newline is a space
                    i += 1
                    tok = toks[i]
                    cls = classes.get(tok[0])
                if cls is OPERATOR:
                    prec = prec_of[tok]
                elif cls is RPAREN or cls is COMMA:
                    prec = 1  # reduce every operator down to the innermost '(' or call
                elif cls is NEWLINE or cls is SEMI or (cls is END and i == self.last):
                    self.i = i
                    self.finish(offsets[i])
                    return
                else:
                    self.i = i
                    self.unexpected_after_operand()
                while frames:  # reduce the frames that bind at least as tightly
                    top_prec, kind, op, start, _ = frames[-1]
                    if top_prec < prec or (top_prec == prec == _POWER_PREC):
                        break
                    frames.pop()
                    node = len(ops)  # reduce(), inlined
                    ops.append(op)
                    if kind == BIN:
                        b, _, end = operands.pop()
                        a, start, _ = operands[-1]
                        args.append((a, b))
                    else:  # unary minus: its span starts at the '-'
                        a, _, end = operands[-1]
                        args.append((a,))
                    spans.append((start, end))
                    operands[-1] = (node, start, end)
                if cls is OPERATOR:
                    pos = offsets[i]
                    frames.append((prec, BIN, binary[tok], pos, 0))
                    if len(frames) > max_depth:
                        raise _too_deep(max_depth, pos, pos + len(tok))
                    i += 1
                    break
                if cls is COMMA:
                    self.i = i
                    self.comma()
                    i = self.i
                    break
                if frames and frames[-1][1] == PAREN:  # ')' closing a '(': close(), inlined
                    self.open -= 1
                    operands[-1] = (operands[-1][0], frames.pop()[3], offsets[i] + 1)
                    i += 1
                else:  # a call, or an error
                    self.i = i
                    self.close()
                    i = self.i
                # the parenthesis or call is an operand: still after an operand

    def finish(self, pos):
        """End of a statement: reduce what is left, or point at the '(' left open."""
        frames, reduce = self.frames, self.reduce
        while frames:
            top = frames.pop()
            _, kind, _, start, _ = top
            if kind >= PAREN:
                if kind == CALL:  # a call's frame starts at its name: point at its '('
                    start = self.text.index("(", start)
                n = len(self.text)
                raise _error("syntax_error", pos, pos if pos >= n else pos + 1,
                             f"expected ')' to close the '(' at position {start}",
                             f"위치 {start}의 '('를 닫는 ')'가 필요합니다")
            reduce(top)

    def reduce(self, frame):
        """Apply a binary operator or unary minus to the operands on top of the stack."""
        prog, operands = self.prog, self.operands
        _, kind, op, start, _ = frame
        node = len(prog.ops)
        prog.ops.append(op)
        if kind == BIN:
            b, _, end = operands.pop()
            a, start, _ = operands[-1]
            prog.args.append((a, b))
        else:  # unary minus: its span starts at the '-'
            a, _, end = operands[-1]
            prog.args.append((a,))
        prog.spans.append((start, end))
        operands[-1] = (node, start, end)

    def close(self):
        """`)`: reduce to the innermost open frame; a call becomes its node."""
        frames, operands, prog = self.frames, self.operands, self.prog
        pos = self.offsets[self.i]
        while frames and frames[-1][1] < PAREN:  # kind
            self.reduce(frames.pop())
        if not frames:
            raise _error("syntax_error", pos, pos + 1, "this ')' has no matching '('",
                         "이 ')'에 짝이 맞는 '('가 없습니다")
        _, kind, op, start, base = frames.pop()
        self.open -= 1
        self.i += 1
        end = pos + 1
        if kind == PAREN:
            operands[-1] = (operands[-1][0], start, end)
            return
        argc = len(operands) - base
        if argc != op.arity:
            raise _arity(op, argc, start, end)
        node = len(prog.ops)
        prog.ops.append(op)
        prog.args.append(tuple(node for node, _, _ in operands[base:]))
        prog.spans.append((start, end))
        del operands[base:]
        operands.append((node, start, end))

    def comma(self):
        """`,` between arguments: the argument before it is complete."""
        frames = self.frames
        pos = self.offsets[self.i]
        while frames and frames[-1][1] < PAREN:  # kind
            self.reduce(frames.pop())
        if not frames or frames[-1][1] != CALL:
            raise _error("syntax_error", pos, pos + 1,
                         "',' may only separate the arguments of a function call",
                         "','는 함수 호출의 인자 사이에만 쓸 수 있습니다")
        self.i += 1

    def unexpected_after_operand(self):
        i = self.i
        tok, pos = self.toks[i], self.offsets[i]
        cls = _CLASS.get(tok[0])
        if cls is ASSIGN:
            raise _error("syntax_error", pos, pos + 1,
                         "'=' may only follow a name at the start of a statement",
                         "'='는 문장 맨 앞의 이름 뒤에만 올 수 있습니다")
        if (cls is None and not _is_word(tok)) or tok == "." or cls is END:
            raise _invalid_character(tok, pos)  # END here is a U+0000 in the text
        raise _error("syntax_error", pos, pos + len(tok),
                     "expected an operator here (write 2*x for a product, not 2x)",
                     "여기에는 연산자가 와야 합니다(곱은 2x가 아니라 2*x로 씁니다)")

    def expected_operand(self, tok, pos):
        """The error for a token where an operand should start (`self.i` is its index)."""
        at_end = self.i == self.last
        cls = _CLASS.get(tok[0])
        if cls is None or cls is NUMBER or (cls is END and not at_end):
            raise _invalid_character(tok, pos)  # or a lone '.', or U+0000
        prev = self.toks[self.i - 1] if self.i else ""
        if cls is ASSIGN and prev in _PREC and self.offsets[self.i - 1] + len(prev) == pos:
            start = self.offsets[self.i - 1]
            raise _error("syntax_error", start, pos + 1,
                         f"there is no '{prev}=': each name is assigned once, so write a new "
                         f"name instead, e.g. c2 = c {prev} d",
                         f"'{prev}='는 없습니다. 이름은 한 번만 할당하므로 새 이름을 쓰세요"
                         f"(예: c2 = c {prev} d)")
        if cls is RPAREN and prev == "(" and self.frames and self.frames[-1][1] == CALL:
            _, _, op, start, _ = self.frames[-1]
            raise _arity(op, 0, start, pos + 1)
        if at_end:
            n = len(self.text)
            raise _error("syntax_error", n, n,
                         "unexpected end of input: expected a number, a name or '('",
                         "입력이 예기치 않게 끝났습니다: 숫자, 이름 또는 '('가 와야 합니다")
        raise _error("syntax_error", pos, pos + len(tok), "expected a number, a name or '(' here",
                     "여기에는 숫자, 이름 또는 '('가 와야 합니다")

    def call(self, name, pos):
        """`name(`: push a CALL frame; its arguments are read as expressions separated by
        `,` (see `comma` and `close`). The current token is the '('."""
        op = FUNCTIONS.get(name)
        end = pos + len(name)
        if op is None:
            raise _unknown_function(name, pos, end)
        frames, max_depth = self.frames, self.limits.max_depth
        frames.append((0, CALL, op, pos, len(self.operands)))
        if len(frames) > max_depth:
            raise _too_deep(max_depth, pos, end)
        self.open += 1
        self.i += 1

    def new_name(self, name, pos, end):
        """A name seen for the first time: a constant, or a new free variable."""
        prog, limits = self.prog, self.limits
        name_const = _CONSTANT_ALIASES.get(name, name)
        if name_const in CONSTANTS:
            value, label = CONSTANTS[name_const]
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

    def check_assign_target(self, name, pos, end):
        _check_name(name, pos, end)
        if name in FUNCTIONS or name in CONSTANTS or name in _CONSTANT_ALIASES:
            raise _error("reserved_name", pos, end,
                         "this name belongs to a built-in function or constant",
                         "이 이름은 내장 함수나 상수의 이름입니다")
        if name in self.assigned:
            raise _error("syntax_error", pos, end, "this name is already assigned; a name is "
                         "assigned once", "이 이름은 이미 할당되었습니다. 이름은 한 번만 "
                         "할당합니다")
        if name in self.prog.variables:
            raise _error("syntax_error", pos, end,
                         "this name is used earlier as an input variable, so it cannot be "
                         "assigned", "이 이름은 앞에서 입력 변수로 쓰였으므로 할당할 수 없습니다")


def _is_word(tok):
    """A name-like token (the tokenizer's word run), valid or not."""
    return tok[0] == "_" or tok[0].isalpha() or (len(tok) > 1 and not tok[0].isdigit())


def _check_name(name, pos, end):
    """Raise the error for an invalid name (names.py), located at its exact character."""
    if len(name) <= MAX_NAME and name.isascii() and name[:2] != "__":
        return  # the ASCII tokenizer only makes identifiers: the common case, made fast
    problem = name_problem(name)
    if problem is None:
        return
    kind, k, en, ko = problem
    if kind == "character":
        raise _invalid_character(name[k], pos + k)
    if kind == "normal_form":
        raise _error("invalid_character", pos + k, pos + k + 1, en, ko)
    if kind == "reserved":
        raise _error("reserved_name", pos, end, en, ko)
    raise _error("syntax_error", pos, end, en, ko)


def _too_deep(max_depth, pos, end):
    return _error("limit_exceeded", pos, end, f"nesting is deeper than {max_depth} levels",
                  f"중첩이 {max_depth}단계보다 깊습니다")


def _unknown_function(name, pos, end):
    if not name.isascii():
        _check_name(name, pos, end)  # `ｅｘｐ(x)`: the name's own problem comes first
    if name in CONSTANTS or name in _CONSTANT_ALIASES:
        return _error("unknown_function", pos, end, "this is a constant, not a function",
                      "이것은 함수가 아니라 상수입니다")
    close = ([_FUNCTION_LABELS[name]] if name in _FUNCTION_LABELS
             else difflib.get_close_matches(name, sorted(FUNCTIONS), n=1))
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


# Look-alikes people paste from documents, with what they meant. (`−`, `×`, `÷` and `·` are
# operators; `π` is the constant pi; `σ(` and `Σ(` get "did you mean" as unknown functions.)
_HINTS = {
    "–": "-", "—": "-", "‐": "-", "‑": "-", "﹣": "-", "－": "-",
    "∗": "*", "⋅": "*", "✕": "*", "＊": "*", "\u0387": "dot(…)",
    "∕": "/", "／": "/", "＋": "+", "＝": "=",
    "²": "**2", "³": "**3", "¹": "**1",
    "（": "(", "）": ")", "，": ",", "；": ";",
    "∑": "sum(…)", "√": "sqrt(…)",
}
_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


def _invalid_character(ch, pos):
    code = ord(ch)
    what = describe(ch)
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
        hint, hint_ko = ("this character is neither an operator nor part of a name",
                         "이 문자는 연산자도 아니고 이름에 쓸 수 있는 문자도 아닙니다")
    else:
        hint, hint_ko = "this character is not part of the language", "이 문자는 식 언어에 없습니다"
    return _error("invalid_character", pos, pos + 1, f"invalid character {what}: {hint}",
                  f"잘못된 문자 {what}: {hint_ko}")
