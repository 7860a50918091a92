### Brazilian Portuguese (português do Brasil).

## Page

page-title = Verifique seu e-mail
continue-to = Continuar para { $client }
intro = Vamos enviar um código de 6 dígitos para o seu e-mail para confirmar que o endereço é seu.
email-label = Endereço de e-mail
send-code = Enviar código
sent-to = Enviamos um código para { $email }
change-address = Alterar endereço
code-label = Código de 6 dígitos
verify = Verificar
resend = Reenviar código
resend-in = Reenviar código em { $seconds } s
code-sent =
    { $minutes ->
        [one] Código enviado. Ele é válido por { $minutes } minuto.
       *[other] Código enviado. Ele é válido por { $minutes } minutos.
    }
code-resent = Enviado de novo. O código continua o mesmo até expirar.
tries-left =
    { $count ->
        [one] Resta { $count } tentativa
       *[other] Restam { $count } tentativas
    }
wrong-code-tries =
    { $count ->
        [one] Código incorreto. Resta { $count } tentativa.
       *[other] Código incorreto. Restam { $count } tentativas.
    }
wrong-code-last = Código incorreto, e não restam mais tentativas. Peça um novo código.
verified-heading = E-mail verificado
signed-in-as = Conectado como { $email }
sign-out = Sair
sign-out-everywhere = Sair em todos os dispositivos
use-another-address = Usar outro endereço
signed-out = Você saiu da sua conta.
continue-as = como { $email }
continue = Continuar
new-code-asked = { $client } pede que você confirme com um novo código.
sign-out-of = Sair de { $client }?
sign-out-here = Sair deste serviço?
stay-signed-in = Continuar conectado
back-to = Voltando para { $client }.
verified-back-to = E-mail verificado. Voltando para { $client }.
cancel = Cancelar
try-again = Tentar novamente
checking-device = Verificando seu dispositivo
unreachable = Não foi possível acessar o serviço. Verifique sua conexão e tente novamente.
language = Idioma
passkey-sign-in = Entrar com uma chave de acesso
passkey-offer = Entre mais rápido da próxima vez com uma chave de acesso
passkey-create = Criar uma chave de acesso
not-now = Agora não
passkeys = Chaves de acesso
passkey-remove = Remover
passkey-added = Adicionada em { $date }
passkey-last-used = Último uso em { $date }
close = Fechar

error-invalid-request = Não foi possível ler a solicitação. Recarregue a página e tente novamente.
error-payload-too-large = A solicitação é grande demais.
error-invalid-email = Isso não parece um endereço de e-mail. Confira e tente novamente.
error-invalid-code-format = O código são os 6 dígitos do e-mail.
error-unknown-flow = Esta solicitação de código não é conhecida. Peça um novo código.
error-expired = Este código expirou. Peça um novo.
error-already-used = Este código já foi usado. Peça um novo se precisar verificar novamente.
error-wrong-code = Código incorreto. Confira o e-mail e tente novamente.
error-too-many-attempts = Muitas tentativas incorretas para este código. Peça um novo.
error-resend-too-soon = Um código acabou de ser enviado. Aguarde um pouco antes de pedir novamente.
error-rate-limited = Muitas solicitações. Aguarde um pouco e tente novamente.
error-proof-of-work-required = Muitos códigos foram enviados para este endereço hoje. Seu dispositivo precisa fazer uma verificação rápida primeiro.
error-undeliverable = No momento, não conseguimos enviar e-mails para este endereço. Confira se há erros de digitação ou use outro endereço. Se ele estiver correto, peça ajuda a este site.
error-sign-in-expired = Este login expirou ou já foi concluído. Volte ao aplicativo e comece de novo.
error-logout-expired = Esta solicitação de saída expirou ou já foi concluída. Volte ao aplicativo.
error-unavailable = O serviço está ocupado no momento. Tente novamente em instantes.
error-internal = Algo deu errado do nosso lado. Tente novamente em instantes.

## Mail

mail-subject = é o seu código de verificação de { $product }
mail-title = Seu código de verificação de { $product }
mail-intro = Seu código de verificação de { $product } é:
mail-subject-app = é o seu código de { $product } para { $app }
mail-title-app = Seu código de { $product } para { $app }
mail-intro-app = Seu código de { $product } para entrar em { $app } é:
mail-expiry =
    Digite-o na página em que você o solicitou. Ele expira em { $minutes ->
        [one] { $minutes } minuto
       *[other] { $minutes } minutos
    }.
mail-secret = Não compartilhe este código com ninguém.
mail-unasked = Se você não solicitou este código, ignore esta mensagem: alguém pode ter digitado seu endereço por engano.
