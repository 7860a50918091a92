### German (Deutsch).

## Page


## Mail

mail-subject = ist Ihr Bestätigungscode für { $product }
mail-title = Ihr Bestätigungscode für { $product }
mail-intro = Ihr Bestätigungscode für { $product } lautet:
mail-expiry =
    Geben Sie ihn auf der Seite ein, auf der Sie ihn angefordert haben. Er ist { $minutes ->
        [one] { $minutes } Minute
       *[other] { $minutes } Minuten
    } lang gültig.
mail-secret = Geben Sie diesen Code an niemanden weiter.
mail-unasked = Wenn Sie diesen Code nicht angefordert haben, ignorieren Sie diese Nachricht: Möglicherweise hat jemand Ihre Adresse versehentlich eingegeben.
