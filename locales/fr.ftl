### French (français).

## Page

page-title = Vérifiez votre adresse e-mail
continue-to = Continuer vers { $client }
intro = Nous allons vous envoyer par e-mail un code à 6 chiffres pour confirmer que cette adresse vous appartient.
email-label = Adresse e-mail
send-code = Envoyer le code
sent-to = Nous avons envoyé un code à { $email }
change-address = Modifier l’adresse
code-label = Code à 6 chiffres
verify = Vérifier
resend = Renvoyer le code
resend-in = Renvoyer le code dans { $seconds } s
code-sent =
    { $minutes ->
        [one] Code envoyé. Il est valable { $minutes } minute.
       *[other] Code envoyé. Il est valable { $minutes } minutes.
    }
code-resent = Renvoyé. Le code reste le même jusqu’à son expiration.
tries-left =
    { $count ->
        [one] { $count } essai restant
       *[other] { $count } essais restants
    }
wrong-code-tries =
    { $count ->
        [one] Ce code est incorrect. { $count } essai restant.
       *[other] Ce code est incorrect. { $count } essais restants.
    }
wrong-code-last = Ce code est incorrect et il ne reste plus aucun essai. Demandez un nouveau code.
verified-heading = Adresse e-mail vérifiée
signed-in-as = Connecté en tant que { $email }
sign-out = Se déconnecter
sign-out-everywhere = Se déconnecter partout
use-another-address = Utiliser une autre adresse
signed-out = Déconnexion effectuée.
continue-as = en tant que { $email }
continue = Continuer
new-code-asked = { $client } vous demande de confirmer avec un nouveau code.
sign-out-of = Se déconnecter de { $client } ?
sign-out-here = Se déconnecter de ce service ?
stay-signed-in = Rester connecté
back-to = Redirection vers { $client }…
verified-back-to = Adresse e-mail vérifiée. Redirection vers { $client }…
cancel = Annuler
try-again = Réessayer
checking-device = Vérification de votre appareil
unreachable = Impossible de joindre le service. Vérifiez votre connexion, puis réessayez.
language = Langue
passkey-sign-in = Se connecter avec une clé d’accès
passkey-offer = Connectez-vous plus vite la prochaine fois avec une clé d’accès
passkey-create = Créer une clé d’accès
not-now = Pas maintenant
passkeys = Clés d’accès
passkey-remove = Supprimer
passkey-added = Ajoutée le { $date }
passkey-last-used = Dernière utilisation le { $date }
close = Fermer

error-invalid-request = La demande n’a pas pu être lue. Rechargez la page et réessayez.
error-payload-too-large = La demande est trop volumineuse.
error-invalid-email = Cette adresse e-mail ne semble pas valide. Vérifiez-la et réessayez.
error-invalid-code-format = Le code se compose des 6 chiffres indiqués dans l’e-mail.
error-unknown-flow = Cette demande de code est inconnue. Demandez un nouveau code.
error-expired = Ce code a expiré. Demandez-en un nouveau.
error-already-used = Ce code a déjà été utilisé. Demandez-en un nouveau si vous devez vérifier l’adresse à nouveau.
error-wrong-code = Ce code est incorrect. Vérifiez l’e-mail et réessayez.
error-too-many-attempts = Trop d’essais erronés pour ce code. Demandez-en un nouveau.
error-resend-too-soon = Un code vient d’être envoyé. Patientez un peu avant de le redemander.
error-rate-limited = Trop de demandes. Patientez un moment, puis réessayez.
error-proof-of-work-required = De nombreux codes ont été envoyés à cette adresse aujourd’hui. Votre appareil doit d’abord effectuer une courte vérification.
error-undeliverable = Nous ne pouvons pas envoyer d’e-mails à cette adresse pour le moment. Vérifiez qu’elle ne contient pas de faute de frappe ou utilisez-en une autre. Si elle est correcte, demandez de l’aide à ce site.
error-sign-in-expired = Cette connexion a expiré ou est terminée. Revenez à l’application et recommencez.
error-logout-expired = Cette demande de déconnexion a expiré ou est terminée. Revenez à l’application.
error-unavailable = Le service est très sollicité en ce moment. Réessayez dans un instant.
error-internal = Une erreur s’est produite de notre côté. Réessayez dans un instant.

## Mail

mail-subject = est votre code de vérification { $product }
mail-title = Votre code de vérification { $product }
mail-intro = Votre code de vérification { $product } est :
mail-subject-app = est votre code { $product } pour { $app }
mail-title-app = Votre code { $product } pour { $app }
mail-intro-app = Votre code { $product } pour vous connecter à { $app } est :
mail-expiry =
    Saisissez-le sur la page où vous l’avez demandé. Il expire dans { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }.
mail-secret = Ne communiquez ce code à personne.
mail-unasked = Si vous n’avez pas demandé ce code, ignorez ce message : quelqu’un a peut-être saisi votre adresse par erreur.
