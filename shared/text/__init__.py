"""Text helpers shared by retrieval, answering and admission: content terms, language
detection and titles. They import nothing of the product."""
