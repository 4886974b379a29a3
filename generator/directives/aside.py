"""``aside``: a margin note in the gutter column (below the text on narrow screens)."""

from generator.directives import directive


@directive("aside")
def aside(call, ctx) -> str:
    return f'<aside class="l-gutter margin-note">{ctx.markdown(call.tokens)}</aside>\n'
