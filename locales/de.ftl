### German (Deutsch).

## Page


## Mail

