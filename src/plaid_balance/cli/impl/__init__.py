"""What each command does, loaded only when it runs (the command boundary: docs/architecture.md).

``cli/<command>.py`` declares a command: its options and help text, importing only click and the small
modules help needs. Its callback's one import names the module here that does the work; these modules
import what they use at the top, as any module does.
"""
