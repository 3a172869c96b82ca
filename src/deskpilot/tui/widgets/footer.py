"""The footer: the keys agents use most, in the key map's order, and ``?`` for the rest.

Textual's own footer lists the screen's bindings in the order they were bound, so a key
remapped in ``[tui.keys]`` moved to the end and, on a full line, past the terminal's edge.
This one orders them by the key map whatever key each is mapped to, and stays compact so the
most used keys fit at 160 columns. It is built again only when the keys it shows change:
Textual rebuilds a footer at every change of focus or bindings (fifteen times while the next
ticket opens after a send), each a remount of every key on the event loop.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from deskpilot.tui import keymap


class DeskFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=True)
        self._shown_keys: Hashable = None  # what the footer was last built from

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = _keys_shown(screen)
            if self._bindings_ready and shown == self._shown_keys:
                return  # the same keys: the footer on screen is right
            self._shown_keys = shown
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        shown: dict[str, tuple[int, FooterKey]] = {}
        for _node, binding, enabled, tooltip in active.values():
            if not binding.show or binding.action in shown:
                continue  # one entry per action, however many keys it has
            key = FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
            shown[binding.action] = (keymap.footer_rank(binding.id), key)
        self.styles.grid_size_columns = len(shown)
        for _rank, key in sorted(shown.values(), key=lambda pair: pair[0]):
            yield key
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = active.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                _node, binding, enabled, tooltip = palette
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    classes="-command-palette",
                    disabled=not enabled,
                    tooltip=binding.tooltip or binding.description,
                )


def _keys_shown(screen: Screen[object]) -> Hashable:
    """Everything the footer's keys are built from: key, action, text, state."""
    return tuple(
        (binding.key, binding.action, binding.description, binding.show, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
    )
