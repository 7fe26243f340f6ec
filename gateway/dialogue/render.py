"""Turn a step into screen text for a channel.

Menus render ``N. Label`` one per line.  On USSD a screen holds
``settings.ussd_screen_chars`` (160) GSM-7 characters, and an SMS is paid per
segment of ``settings.sms_screen_chars`` (160); a menu that does not fit is cut
into pages with ``98. More`` and ``0. Back``.  Every page keeps room for the
error line shown when an answer is invalid, so pages stay the same whether or
not an error is shown (a re-prompt is one segment too), and option numbers never
change between pages.  WhatsApp, free of segments, shows whole menus.  The
linter renders through these same functions, so what it measures is what
reporters see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gateway.vocab import Channel

from .gsm import screen_cost
from .matching import normalise
from .script import PLACE_LISTS, Script, Step

MORE, BACK, RESTART = "98", "0", "00"  # navigation inputs, the same in every language
KEEP, REWRITE = "1", "2"  # on "You wrote: ..." screens


def join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def with_error(error: str, screen: str) -> str:
    return join(error, screen)


def quote(script: Script, text: str) -> str:
    limit = script.settings.quote_chars
    return text if len(text) <= limit else text[: max(limit - 3, 1)].rstrip() + "..."


def screen_budget(script: Script, channel: str) -> int | None:
    """Characters one screen may hold on ``channel``; ``None``: no limit (WhatsApp)."""
    if channel == Channel.USSD:
        return script.settings.ussd_screen_chars
    if channel == Channel.SMS:
        return script.settings.sms_screen_chars
    return None


def paginate(
    script: Script, language: str | None, prompt: str, items: list[str], reserve: int,
    channel: str = Channel.USSD, first_back: str = "",
) -> list[tuple[int, int]]:
    """Split menu lines into pages that fit the channel's budget: [(start, end), ...].
    ``first_back`` is a ``0.`` line shown on the first page (e.g. change language)."""
    budget = (screen_budget(script, channel) or script.settings.ussd_screen_chars) - reserve
    more = f"{MORE}. {script.message('more', language)}"
    back = f"{BACK}. {script.message('back', language)}"
    first = [first_back] if first_back else []
    if screen_cost(join(prompt, *items, *first)) <= budget:
        return [(0, len(items))]
    pages: list[tuple[int, int]] = []
    start = 0
    while start < len(items):
        nav_back = [back] if pages else first
        if screen_cost(join(prompt, *items[start:], *nav_back)) <= budget:
            pages.append((start, len(items)))
            break
        end = start + 1  # at least one option per page, even if it overflows (lint says so)
        while end < len(items) and screen_cost(
            join(prompt, *items[start : end + 1], more, *nav_back)
        ) <= budget:
            end += 1
        pages.append((start, end))
        start = end
    return pages


def page_options(script: Script, step: Step, language: str | None, channel: str,
                 answers: dict[str, str], page: int, first_back: str = "") -> range:
    """The option numbers shown on ``page`` of a menu (1-based)."""
    labels = [label for _value, label in script.options(step, answers, language, channel)]
    items = [f"{i}. {label}" for i, label in enumerate(labels, 1)]
    if screen_budget(script, channel) is None:
        return range(1, len(items) + 1)
    first_nav = f"{BACK}. {first_back}" if first_back else ""
    pages = paginate(script, language, script.step_text(step, "prompt", language), items,
                     reserve_for(script, step, language), channel, first_nav)
    start, end = pages[min(page, len(pages) - 1)]
    return range(start + 1, end + 1)


def menu(script: Script, language: str | None, channel: str, prompt: str, labels: list[str], page: int,
         reserve: int, first_back: str = "") -> tuple[str, int]:
    """The screen for ``page`` of a menu, and how many pages there are."""
    items = [f"{i}. {label}" for i, label in enumerate(labels, 1)]
    first_nav = f"{BACK}. {first_back}" if first_back else ""
    if screen_budget(script, channel) is None:
        return join(prompt, *items, first_nav), 1
    pages = paginate(script, language, prompt, items, reserve, channel, first_nav)
    page = min(page, len(pages) - 1)
    start, end = pages[page]
    nav = []
    if page < len(pages) - 1:
        nav.append(f"{MORE}. {script.message('more', language)}")
    if page > 0:
        nav.append(f"{BACK}. {script.message('back', language)}")
    elif first_nav:
        nav.append(first_nav)
    return join(prompt, *items[start:end], *nav), len(pages)


def invalid_text(script: Script, step: Step, language: str | None) -> str:
    return script.error_text(step, "invalid", language)


def reserve_for(script: Script, step: Step, language: str | None) -> int:
    return screen_cost(invalid_text(script, step, language) + "\n")


def choice_screen(script: Script, step: Step, language: str | None, channel: str,
                  answers: dict[str, str],
                  page: int = 0, first_back: str = "") -> tuple[str, int]:
    labels = [label for _value, label in script.options(step, answers, language, channel)]
    prompt = script.step_text(step, "prompt", language)
    return menu(script, language, channel, prompt, labels, page,
                reserve_for(script, step, language), first_back)


#: Channels whose screens stay in the phone's inbox, where anyone holding the
#: phone can read them: a reporter's own words are never repeated there.
KEPT_IN_INBOX = (Channel.SMS, Channel.WHATSAPP)


def keep_screen(script: Script, step: Step, language: str | None, text: str,
                channel: str = Channel.USSD) -> str:
    """A text step offering to keep what the reporter already wrote: quoted on
    USSD (the screen vanishes), not repeated into an SMS or WhatsApp inbox."""
    if channel in KEPT_IN_INBOX:
        wrote = script.message("sent_earlier", language)
    else:
        wrote = script.message("you_wrote", language).replace("{text}", quote(script, text))
    return join(
        script.step_text(step, "prompt", language),
        wrote,
        f"{KEEP}. {script.message('use_this', language)}",
        f"{REWRITE}. {script.message('write_new', language)}",
    )


def which_one(script: Script, language: str | None, options: list[tuple[str, str]],
              candidates: tuple[str, ...]) -> str:
    """Two options fit what was typed as well: ask, listing just those with
    their numbers (the message ``which_one``, else the invalid-answer line)."""
    lines = [f"{i}. {label}" for i, (value, label) in enumerate(options, 1) if value in candidates]
    return join(which_question(script, language), *lines)


def which_question(script: Script, language: str | None) -> str:
    """"Which one did you mean?" (the message ``which_one``, else the invalid-answer line)."""
    return script.message("which_one", language) or script.message("invalid", language)


def place_where(script: Script, language: str | None, place: Mapping[str, str]) -> str:
    """"Kakuma, Turkana West": the place, its sub-county unless the same name,
    its county unless already named (proper nouns; cross-border sides translated)."""
    counties, subs = (script.lists[name] for name in PLACE_LISTS)
    parts = [place["name"]]
    sub = script.list_label(subs, place["sub_county"], language)
    if normalise(sub) != normalise(place["name"]):
        parts.append(sub)
    county = script.list_label(counties, place["county"], language)
    if normalise(county) not in normalise(" ".join(parts)):
        parts.append(county)
    return ", ".join(parts)


def place_answers(script: Script, language: str | None,
                  offered: Sequence[Mapping[str, str]]) -> list[tuple[str, str]]:
    """The answers to a place offer as (value, label): "yes" and "no" for one
    place, the places' indexes ("0", "1", ...) for several."""
    if len(offered) == 1:
        return [("yes", script.message("place_yes", language) or "Yes"),
                ("no", script.message("place_no", language) or "No")]
    return [(str(i), place_where(script, language, p)) for i, p in enumerate(offered)]


def place_screen(script: Script, language: str | None,
                 offered: Sequence[Mapping[str, str]]) -> str:
    """One place: "Kakuma, Turkana West?" with 1 Yes / 2 No.  Several places of
    different sub-counties that fit as well: which one, with numbers."""
    if len(offered) == 1:
        check = script.message("place_check", language) or "{place}?"
        question = check.replace("{place}", place_where(script, language, offered[0]))
    else:
        question = which_question(script, language)
    answers = place_answers(script, language, offered)
    return join(question, *(f"{i}. {label}" for i, (_value, label) in enumerate(answers, 1)))


def confirm_screen(script: Script, step: Step, language: str | None, answers: dict[str, str],
                   path: list[str], channel: str = Channel.USSD,
                   place: tuple[str, str, str] | None = None, reserve: int = 0) -> str:
    """``place``: (county step, sub-county step, name): the place named, shown
    before the sub-county ("Area: Kakuma, Turkana West"), or alone where the
    sub-county was not asked (a county beyond the script's own: "Area: Nakuru").

    Steps with ``summary`` are always listed; steps with ``summary_if_room``
    (the description, whether the reporter may be called) only while the
    screen, with ``reserve`` characters for an error line, fits the channel:
    a text answer goes first (the words), then the last of the others."""
    summary: list[tuple[str, int]] = []  # (line, 0: always; 1: if room; 2: if room, words)
    for sid in path:
        shown = script.steps.get(sid)
        if shown is None:
            continue
        if place is not None and sid == place[0] and place[1] not in answers:
            title = script.step_text(script.steps[place[1]], "summary", language)
            if title:
                summary.append((f"{title}: {place[2]}", 0))
        title = script.step_text(shown, "summary", language)
        optional = 0 if title else 2 if shown.kind == "text" else 1
        title = title or script.step_text(shown, "summary_if_room", language)
        if title and sid in answers:
            label = script.answer_label(shown, answers, language)
            if shown.kind == "text" and channel in KEPT_IN_INBOX:
                label = script.message("words_received", language)  # not into the inbox
                if not label:
                    continue
            elif shown.kind == "text":  # a reporter's own words can be long
                label = quote(script, label)
            elif place is not None and place[1] == sid and place[2] != label:
                label = f"{place[2]}, {label}"
            summary.append((f"{title}: {label}", optional))
    labels = [label for _value, label in script.options(step, answers, language, channel)]
    items = [f"{i}. {label}" for i, label in enumerate(labels, 1)]
    prompt = script.step_text(step, "prompt", language)
    budget = screen_budget(script, channel)
    while budget is not None and screen_cost(join(prompt, *(line for line, _ in summary),
                                                  *items)) > budget - reserve:
        drop = max(((optional, i) for i, (_line, optional) in enumerate(summary) if optional),
                   default=None)
        if drop is None:
            break  # too long even so: the linter says so
        del summary[drop[1]]
    return join(prompt, *(line for line, _ in summary), *items)


def change_items(script: Script, answers: dict[str, str], path: list[str],
                 language: str | None) -> list[tuple[str, str]]:
    """(step id, name) of the answers the reporter may change from the confirm
    screen: steps with a ``change`` (else ``summary``) text, in the order asked.
    A step filtered by another (sub-county by county) is changed from that one."""
    items: list[tuple[str, str]] = []
    for sid in path:
        step = script.steps.get(sid)
        if step is None or sid not in answers:
            continue
        name = script.step_text(step, "change", language) or script.step_text(
            step, "summary", language)
        if not name:
            continue
        target = step.filter_by if step.filter_by in answers else sid
        if target not in [t for t, _ in items]:
            items.append((target, name))
    return items


def change_screen(script: Script, language: str | None, items: list[tuple[str, str]]) -> str:
    return join(script.message("change_which", language),
                *(f"{i}. {name}" for i, (_sid, name) in enumerate(items, 1)),
                f"{BACK}. {script.message('back', language)}")


def end_screen(script: Script, step: Step, language: str | None, reference: str) -> str:
    return script.step_text(step, "text", language).replace("{reference}", reference)


def resume_screen(script: Script, language: str | None, in_progress: bool = False) -> str:
    """Continue or start again: an earlier unfinished dialogue, or (``in_progress``)
    the one under way when a start keyword arrives in the middle of it."""
    heading = script.message("in_progress", language) if in_progress else ""
    return join(
        heading or script.message("resume", language),
        f"1. {script.message('continue', language)}",
        f"2. {script.message('start_over', language)}",
    )
