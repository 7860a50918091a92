### English — the source language: every other catalog has exactly its messages.

## Page


## Mail

