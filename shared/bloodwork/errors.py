"""Why a lab-report file cannot be read; each message can be shown to the user as it is."""

from __future__ import annotations


class LabReportError(Exception):
    """A lab report whose text cannot be read."""


class NotPdfError(LabReportError):
    def __init__(self) -> None:
        super().__init__("the file is not a PDF")


class DamagedPdfError(LabReportError):
    def __init__(self) -> None:
        super().__init__(
            "the PDF is damaged or incomplete (truncated); download or export it again"
        )


class EncryptedPdfError(LabReportError):
    def __init__(self) -> None:
        super().__init__("the PDF is password-protected; upload a copy without a password")


class TooManyPagesError(LabReportError):
    def __init__(self, max_pages: int) -> None:
        super().__init__(f"the PDF has more than {max_pages} pages; upload only the lab report")
