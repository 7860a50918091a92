### Brazilian Portuguese (português do Brasil).

## Page


## Mail

mail-subject = é o seu código de verificação de { $product }
mail-title = Seu código de verificação de { $product }
mail-intro = Seu código de verificação de { $product } é:
mail-expiry =
    Digite-o na página em que você o solicitou. Ele expira em { $minutes ->
        [one] { $minutes } minuto
       *[other] { $minutes } minutos
    }.
mail-secret = Não compartilhe este código com ninguém.
mail-unasked = Se você não solicitou este código, ignore esta mensagem: alguém pode ter digitado seu endereço por engano.
