from sources.text import clean_line, html_to_text


def test_blocks_become_lines_and_entities_are_decoded() -> None:
    html = "<p>Hello&nbsp;<b>world</b></p><ul><li>a</li><li>b &amp; c</li></ul>tail"
    assert html_to_text(html) == "Hello world\na\nb & c\ntail"


def test_scripts_styles_and_control_characters_are_dropped() -> None:
    html = "<div>safe<script>alert(1)</script><style>p{}</style>\x1b[31mred\u200b</div>"
    assert html_to_text(html) == "safe[31mred"


def test_malformed_and_empty_input_do_not_raise() -> None:
    assert html_to_text("<p>unclosed <div>x") == "unclosed\nx"
    assert html_to_text("") == ""
    assert html_to_text(None) == ""
    assert html_to_text("   ") == ""
    assert html_to_text("plain &amp; simple") == "plain & simple"


def test_clean_line_folds_whitespace_and_strips_controls() -> None:
    assert clean_line("a\x07b\u200bc\n d \xa0 e") == "abc d e"
    assert clean_line(None) == ""
