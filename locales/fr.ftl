### French (français).

## Page


## Mail

mail-subject = est votre code de vérification { $product }
mail-title = Votre code de vérification { $product }
mail-intro = Votre code de vérification { $product } est :
mail-expiry =
    Saisissez-le sur la page où vous l’avez demandé. Il expire dans { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }.
mail-secret = Ne communiquez ce code à personne.
mail-unasked = Si vous n’avez pas demandé ce code, ignorez ce message : quelqu’un a peut-être saisi votre adresse par erreur.
