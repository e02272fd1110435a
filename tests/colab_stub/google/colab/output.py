"""Stand-in for google.colab.output."""

enabled = False


def enable_custom_widget_manager() -> None:
    """Colab's switch for third-party widgets; anywidget calls it by itself in Colab."""
    global enabled
    enabled = True
