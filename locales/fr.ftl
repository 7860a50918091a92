### French (français).

## Page


## Mail

