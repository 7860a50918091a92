### Japanese (日本語).

## Page


## Mail

