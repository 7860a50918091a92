### Spanish (español).

## Page

page-title = Verifique su correo electrónico
continue-to = Continuar a { $client }
intro = Le enviaremos un código de 6 dígitos por correo electrónico para confirmar que la dirección es suya.
email-label = Correo electrónico
send-code = Enviar código
sent-to = Enviamos un código a { $email }
change-address = Cambiar dirección
code-label = Código de 6 dígitos
verify = Verificar
resend = Reenviar código
resend-in = Reenviar código en { $seconds } s
code-sent =
    { $minutes ->
        [one] Código enviado. Es válido durante { $minutes } minuto.
       *[other] Código enviado. Es válido durante { $minutes } minutos.
    }
code-resent = Enviado de nuevo. El código es el mismo hasta que caduque.
tries-left =
    { $count ->
        [one] Queda { $count } intento
       *[other] Quedan { $count } intentos
    }
wrong-code-tries =
    { $count ->
        [one] El código no es correcto. Queda { $count } intento.
       *[other] El código no es correcto. Quedan { $count } intentos.
    }
wrong-code-last = El código no es correcto y no quedan intentos. Solicite un código nuevo.
verified-heading = Correo electrónico verificado
signed-in-as = Sesión iniciada como { $email }
sign-out = Cerrar sesión
sign-out-everywhere = Cerrar sesión en todos los dispositivos
use-another-address = Usar otra dirección
signed-out = Ha cerrado la sesión.
continue-as = como { $email }
continue = Continuar
new-code-asked = { $client } le pide que confirme con un código nuevo.
sign-out-of = ¿Cerrar sesión en { $client }?
sign-out-here = ¿Cerrar sesión en este servicio?
stay-signed-in = Mantener la sesión iniciada
back-to = Volviendo a { $client }.
verified-back-to = Correo electrónico verificado. Volviendo a { $client }.
cancel = Cancelar
try-again = Reintentar
checking-device = Comprobando su dispositivo
unreachable = No se pudo conectar con el servicio. Compruebe su conexión y vuelva a intentarlo.
language = Idioma
passkey-sign-in = Iniciar sesión con una llave de acceso
passkey-offer = Inicia sesión más rápido la próxima vez con una llave de acceso
passkey-create = Crear una llave de acceso
not-now = Ahora no
passkeys = Llaves de acceso
passkey-remove = Eliminar
passkey-added = Añadida el { $date }
passkey-last-used = Último uso el { $date }
close = Cerrar

error-invalid-request = No se pudo leer la solicitud. Vuelva a cargar la página e inténtelo de nuevo.
error-payload-too-large = La solicitud es demasiado grande.
error-invalid-email = Eso no parece una dirección de correo electrónico. Revísela e inténtelo de nuevo.
error-invalid-code-format = El código son los 6 dígitos del correo electrónico.
error-unknown-flow = Esta solicitud de código no se reconoce. Solicite un código nuevo.
error-expired = Este código ha caducado. Solicite uno nuevo.
error-already-used = Este código ya se ha utilizado. Solicite uno nuevo si necesita verificar de nuevo.
error-wrong-code = El código no es correcto. Revise el correo e inténtelo de nuevo.
error-too-many-attempts = Demasiados intentos fallidos con este código. Solicite uno nuevo.
error-resend-too-soon = Se acaba de enviar un código. Espere un poco antes de volver a solicitarlo.
error-rate-limited = Demasiadas solicitudes. Espere un rato e inténtelo de nuevo.
error-proof-of-work-required = Hoy se han enviado muchos códigos a esta dirección. Su dispositivo debe hacer primero una breve comprobación.
error-undeliverable = No podemos enviar correo a esta dirección en este momento. Revise que no tenga errores o use otra dirección. Si es correcta, pida ayuda a este sitio.
error-sign-in-expired = Este inicio de sesión ha caducado o ya ha terminado. Vuelva a la aplicación y empiece de nuevo.
error-logout-expired = Esta solicitud de cierre de sesión ha caducado o ya ha terminado. Vuelva a la aplicación.
error-unavailable = El servicio está ocupado en este momento. Inténtelo de nuevo en unos instantes.
error-internal = Algo salió mal por nuestra parte. Inténtelo de nuevo en unos instantes.

## Mail

mail-subject = es su código de verificación de { $product }
mail-title = Su código de verificación de { $product }
mail-intro = Su código de verificación de { $product } es:
mail-subject-app = es su código de { $product } para { $app }
mail-title-app = Su código de { $product } para { $app }
mail-intro-app = Su código de { $product } para iniciar sesión en { $app } es:
mail-expiry =
    Introdúzcalo en la página donde lo solicitó. Caduca en { $minutes ->
        [one] { $minutes } minuto
       *[other] { $minutes } minutos
    }.
mail-secret = No comparta este código con nadie.
mail-unasked = Si no solicitó este código, ignore este mensaje: es posible que alguien haya escrito su dirección por error.
