"""Every word a template shows goes through translation (tests/escalation/i18n_scan.py)."""

from __future__ import annotations

from tests.escalation.i18n_scan import all_literals, template_literals


def texts(source: str) -> list[str]:
    return [literal.text for literal in template_literals(source)]


def test_no_template_has_an_untranslated_word() -> None:
    found = all_literals()
    assert not found, (
        f"{len(found)} untranslated texts in templates/ (wrap them in {{% translate %}} or "
        "{% blocktranslate %}; python -m tests.escalation.i18n_scan lists them):\n"
        + "\n".join(str(literal) for literal in found[:60])
    )


def test_the_scanner_finds_text_between_tags() -> None:
    assert texts("<p>Hello there</p>") == ["Hello there"]
    assert texts("{% if x %}<b>Overdue</b> {{ x }} ago{% endif %}") == [
        "Overdue",
        "\ue000 ago\ue000",
    ]


def test_the_scanner_finds_the_attributes_people_read() -> None:
    source = (
        '<a title="Next deadline">x</a><input placeholder="Search {{ q }}">'
        '<img alt="Logo"><nav aria-label="Main"></nav><input type="submit" value="Send">'
    )
    assert sorted(texts(source)) == [
        "alt=Logo",
        "aria-label=Main",
        "placeholder=Search \ue000",
        "title=Next deadline",
        "value=Send",
        "x",
    ]


def test_the_scanner_finds_words_inside_tags() -> None:
    assert texts('{{ case.team.name|default:"No team" }}') == [
        '{{ case.team.name|default:"No team" }}'
    ]
    assert texts('{% include "x.html" with label="Age" value="age" %}') == [
        '{% include "x.html" with label="Age" value="age" %}'
    ]


def test_translated_text_passes() -> None:
    source = (
        "{% load i18n %}<p>{% translate 'Hello there' %}</p>"
        '<a title="{% translate "Next deadline" %}">{{ x }}</a>'
        "{% blocktranslate with n=x %}<b>{{ n }}</b> left{% endblocktranslate %}"
        '{{ team|default:_("No team") }}{% include "x.html" with label=_("Age") %}'
    )
    assert texts(source) == []


def test_what_is_not_language_passes() -> None:
    source = (
        '{% block container %}container-fluid{% endblock %}<div class="card mb-3" id="x">'
        "{{ case.reference }} · — → {{ n }}%</div><script>let word = 'Hello';</script>"
        "<style>.a::after { content: 'Words' }</style>{# a comment with words #}"
        "{% comment %}Words in a comment{% endcomment %}<span>Escalation</span>"
        '{{ x|default:"mb-3" }}{% include "x.html" with value="severity" %}'
        '<time datetime="{{ x|date:"c" }}">{{ x|date:"D j M" }}</time>'
    )
    assert texts(source) == []


def test_the_scanner_reports_the_line() -> None:
    (literal,) = template_literals("{% load i18n %}\n{% translate 'a' %}\n\n<p>\nLost words</p>")
    assert literal.line == 5
