"""The one exception the engine raises for bad input, located in the expression."""


class ExpressionError(ValueError):
    """A problem with the user's input, with a span into the expression.

    `type` is one of the DESIGN §5 error types; `start`/`end` are 0-based, end-exclusive
    offsets; `msg` is English and `msg_ko` Korean. Messages never quote the user's text, so
    they are safe to show and to return from a public API.
    """

    def __init__(self, type, start, end, msg, msg_ko, loc=("expression",)):
        super().__init__(msg)
        self.type = type
        self.start = start
        self.end = end
        self.msg = msg
        self.msg_ko = msg_ko
        self.loc = tuple(loc)

    def __repr__(self):
        return f"ExpressionError({self.type!r}, {self.start}, {self.end}, {self.msg!r})"
