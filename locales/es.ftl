### Spanish (español).

## Page


## Mail

mail-subject = es su código de verificación de { $product }
mail-title = Su código de verificación de { $product }
mail-intro = Su código de verificación de { $product } es:
mail-expiry =
    Introdúzcalo en la página donde lo solicitó. Caduca en { $minutes ->
        [one] { $minutes } minuto
       *[other] { $minutes } minutos
    }.
mail-secret = No comparta este código con nadie.
mail-unasked = Si no solicitó este código, ignore este mensaje: es posible que alguien haya escrito su dirección por error.
