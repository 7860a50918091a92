### Spanish (español).

## Page


## Mail

