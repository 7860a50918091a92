### German (Deutsch).

## Page

page-title = Bestätigen Sie Ihre E-Mail-Adresse
continue-to = Weiter zu { $client }
intro = Wir senden Ihnen einen 6-stelligen Code per E-Mail, um zu bestätigen, dass die Adresse Ihnen gehört.
email-label = E-Mail-Adresse
send-code = Code senden
sent-to = Wir haben einen Code an { $email } gesendet.
change-address = Adresse ändern
code-label = 6-stelliger Code
verify = Bestätigen
resend = Code erneut senden
resend-in = Code erneut senden in { $seconds } s
code-sent =
    { $minutes ->
        [one] Code gesendet. Er ist { $minutes } Minute gültig.
       *[other] Code gesendet. Er ist { $minutes } Minuten gültig.
    }
code-resent = Erneut gesendet. Der Code bleibt gleich, bis er abläuft.
tries-left =
    { $count ->
        [one] Noch { $count } Versuch
       *[other] Noch { $count } Versuche
    }
wrong-code-tries =
    { $count ->
        [one] Dieser Code ist nicht richtig. Noch { $count } Versuch.
       *[other] Dieser Code ist nicht richtig. Noch { $count } Versuche.
    }
wrong-code-last = Dieser Code ist nicht richtig, und es sind keine Versuche mehr übrig. Fordern Sie einen neuen Code an.
verified-heading = E-Mail-Adresse bestätigt
signed-in-as = Angemeldet als { $email }
sign-out = Abmelden
sign-out-everywhere = Überall abmelden
use-another-address = Andere Adresse verwenden
signed-out = Sie sind abgemeldet.
continue-as = als { $email }
continue = Weiter
new-code-asked = { $client } bittet Sie um eine Bestätigung mit einem neuen Code.
sign-out-of = Von { $client } abmelden?
sign-out-here = Von diesem Dienst abmelden?
stay-signed-in = Angemeldet bleiben
back-to = Sie werden zu { $client } zurückgeleitet.
verified-back-to = E-Mail-Adresse bestätigt. Sie werden zu { $client } zurückgeleitet.
cancel = Abbrechen
try-again = Erneut versuchen
checking-device = Ihr Gerät wird geprüft
unreachable = Der Dienst ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es dann erneut.
language = Sprache
passkey-sign-in = Mit einem Passkey anmelden
passkey-offer = Melden Sie sich nächstes Mal schneller mit einem Passkey an
passkey-create = Passkey erstellen
not-now = Jetzt nicht
passkeys = Passkeys
passkey-remove = Entfernen
passkey-added = Hinzugefügt am { $date }
passkey-last-used = Zuletzt verwendet am { $date }
close = Schließen

error-invalid-request = Die Anfrage konnte nicht gelesen werden. Laden Sie die Seite neu und versuchen Sie es erneut.
error-payload-too-large = Die Anfrage ist zu groß.
error-invalid-email = Das sieht nicht nach einer E-Mail-Adresse aus. Prüfen Sie sie und versuchen Sie es erneut.
error-invalid-code-format = Der Code besteht aus den 6 Ziffern aus der E-Mail.
error-unknown-flow = Diese Code-Anfrage ist nicht bekannt. Fordern Sie einen neuen Code an.
error-expired = Dieser Code ist abgelaufen. Fordern Sie einen neuen an.
error-already-used = Dieser Code wurde bereits verwendet. Fordern Sie einen neuen an, wenn Sie die Adresse erneut bestätigen müssen.
error-wrong-code = Dieser Code ist nicht richtig. Prüfen Sie die E-Mail und versuchen Sie es erneut.
error-too-many-attempts = Zu viele falsche Versuche für diesen Code. Fordern Sie einen neuen an.
error-resend-too-soon = Gerade wurde ein Code gesendet. Warten Sie kurz, bevor Sie ihn erneut anfordern.
error-rate-limited = Zu viele Anfragen. Warten Sie eine Weile und versuchen Sie es dann erneut.
error-proof-of-work-required = An diese Adresse wurden heute viele Codes gesendet. Ihr Gerät muss zuerst eine kurze Prüfung durchführen.
error-undeliverable = Wir können an diese Adresse derzeit keine E-Mails senden. Prüfen Sie sie auf Tippfehler oder verwenden Sie eine andere Adresse. Wenn sie stimmt, bitten Sie diese Website um Hilfe.
error-sign-in-expired = Diese Anmeldung ist abgelaufen oder bereits abgeschlossen. Kehren Sie zur App zurück und beginnen Sie neu.
error-logout-expired = Diese Abmeldung ist abgelaufen oder bereits abgeschlossen. Kehren Sie zur App zurück.
error-unavailable = Der Dienst ist gerade ausgelastet. Versuchen Sie es gleich noch einmal.
error-internal = Bei uns ist etwas schiefgelaufen. Versuchen Sie es gleich noch einmal.

## Mail

mail-subject = ist Ihr Bestätigungscode für { $product }
mail-title = Ihr Bestätigungscode für { $product }
mail-intro = Ihr Bestätigungscode für { $product } lautet:
mail-subject-app = ist Ihr { $product }-Code für { $app }
mail-title-app = Ihr { $product }-Code für { $app }
mail-intro-app = Ihr { $product }-Code für die Anmeldung bei { $app } lautet:
mail-expiry =
    Geben Sie ihn auf der Seite ein, auf der Sie ihn angefordert haben. Er ist { $minutes ->
        [one] { $minutes } Minute
       *[other] { $minutes } Minuten
    } lang gültig.
mail-secret = Geben Sie diesen Code an niemanden weiter.
mail-unasked = Wenn Sie diesen Code nicht angefordert haben, ignorieren Sie diese Nachricht: Möglicherweise hat jemand Ihre Adresse versehentlich eingegeben.
