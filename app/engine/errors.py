"""The one exception the engine raises for bad input, located in the expression."""


class ExpressionError(ValueError):
    """A problem with the user's input, with a span into the expression.

    `type` is one of the error types listed in docs/engine.md; `start`/`end` are 0-based,
    end-exclusive offsets (code points); `msg` is English and `msg_ko` Korean. Messages never
    quote the user's text, so they are safe to show and to return from a public API.

    `str()` is for people reading a traceback or a log: when the error is about one variable
    (`loc` is `("values", name)`, as for `missing_value`), it starts with the name, e.g.
    "w: this variable has no value". For `missing_value` it is a name parsed from the
    expression, so a valid identifier (names.py), never markup. `msg`, which the API
    returns, stays free of it (the API names the variable in `loc`).
    """

    def __init__(self, type, start, end, msg, msg_ko, loc=("expression",)):
        super().__init__(msg)
        self.type = type
        self.start = start
        self.end = end
        self.msg = msg
        self.msg_ko = msg_ko
        self.loc = tuple(loc)

    def __str__(self):
        if len(self.loc) > 1 and self.loc[0] == "values":
            return f"{self.loc[1]}: {self.msg}"
        return self.msg

    def __repr__(self):
        return f"ExpressionError({self.type!r}, {self.start}, {self.end}, {self.msg!r})"
