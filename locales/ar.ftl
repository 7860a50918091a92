### Arabic (العربية), written right to left.

## Page


## Mail

