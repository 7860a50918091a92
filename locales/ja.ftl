### Japanese (日本語).

## Page

page-title = メールアドレスの確認
continue-to = { $client } に進む
intro = このメールアドレスがご本人のものであることを確認するため、6 桁のコードをメールでお送りします。
email-label = メールアドレス
send-code = コードを送信
sent-to = { $email } にコードを送信しました
change-address = アドレスを変更
code-label = 6 桁のコード
verify = 確認
resend = コードを再送信
resend-in = { $seconds } 秒後に再送信できます
code-sent = コードを送信しました。有効期間は { $minutes } 分です。
code-resent = 再送信しました。有効期限まではコードは変わりません。
tries-left = 残り { $count } 回
wrong-code-tries = コードが正しくありません。残り { $count } 回です。
wrong-code-last = コードが正しくありません。残りの試行回数はありません。新しいコードをリクエストしてください。
verified-heading = メールアドレスを確認しました
signed-in-as = { $email } でサインイン中
sign-out = サインアウト
sign-out-everywhere = すべてのデバイスでサインアウト
use-another-address = 別のアドレスを使用
signed-out = サインアウトしました。
continue-as = { $email } として
continue = 続行
new-code-asked = { $client } から、新しいコードでの確認を求められています。
sign-out-of = { $client } からサインアウトしますか？
sign-out-here = このサービスからサインアウトしますか？
stay-signed-in = サインインしたままにする
back-to = { $client } に戻ります。
verified-back-to = メールアドレスを確認しました。{ $client } に戻ります。
cancel = キャンセル
try-again = 再試行
checking-device = お使いのデバイスを確認しています
unreachable = サービスに接続できませんでした。接続を確認してから、もう一度お試しください。
language = 言語
passkey-sign-in = パスキーでサインイン
passkey-offer = 次回はパスキーでもっと速くサインイン
passkey-create = パスキーを作成
not-now = 後で
passkeys = パスキー
passkey-remove = 削除
passkey-added = 追加日: { $date }
passkey-last-used = 最終使用日: { $date }
close = 閉じる

error-invalid-request = リクエストを読み取れませんでした。ページを再読み込みして、もう一度お試しください。
error-payload-too-large = リクエストが大きすぎます。
error-invalid-email = メールアドレスの形式ではないようです。確認して、もう一度お試しください。
error-invalid-code-format = コードはメールに記載された 6 桁の数字です。
error-unknown-flow = このコードのリクエストは見つかりません。新しいコードをリクエストしてください。
error-expired = このコードは有効期限が切れています。新しいコードをリクエストしてください。
error-already-used = このコードは既に使用されています。再度確認が必要な場合は、新しいコードをリクエストしてください。
error-wrong-code = コードが正しくありません。メールを確認して、もう一度お試しください。
error-too-many-attempts = このコードの入力ミスが多すぎます。新しいコードをリクエストしてください。
error-resend-too-soon = コードを送信したばかりです。しばらく待ってから、もう一度リクエストしてください。
error-rate-limited = リクエストが多すぎます。しばらく待ってから、もう一度お試しください。
error-proof-of-work-required = 本日、このアドレスに多数のコードが送信されました。まず、お使いのデバイスで簡単な確認を行います。
error-undeliverable = 現在、このアドレスにはメールを送信できません。入力に誤りがないか確認するか、別のアドレスをお使いください。正しい場合は、このサイトにお問い合わせください。
error-sign-in-expired = このサインインは期限切れか、既に完了しています。アプリに戻って、最初からやり直してください。
error-logout-expired = このサインアウト要求は期限切れか、既に完了しています。アプリに戻ってください。
error-unavailable = ただいまサービスが混み合っています。しばらくしてから、もう一度お試しください。
error-internal = 問題が発生しました。しばらくしてから、もう一度お試しください。

## Mail

mail-subject = は{ $product }の確認コードです
mail-title = { $product }の確認コード
mail-intro = { $product }の確認コードは次のとおりです。
mail-subject-app = は{ $app }用の{ $product }コードです
mail-title-app = { $app }用の{ $product }コード
mail-intro-app = { $app }にサインインするための{ $product }コードは次のとおりです。
mail-expiry = コードをリクエストしたページで入力してください。このコードの有効期限は{ $minutes }分です。
mail-secret = このコードは誰にも教えないでください。
mail-unasked = このコードに心当たりがない場合は、このメッセージを無視してください。誰かが誤ってあなたのメールアドレスを入力した可能性があります。
