### Brazilian Portuguese (português do Brasil).

## Page


## Mail

