### Japanese (日本語).

## Page


## Mail

mail-subject = は{ $product }の確認コードです
mail-title = { $product }の確認コード
mail-intro = { $product }の確認コードは次のとおりです。
mail-expiry = コードをリクエストしたページで入力してください。このコードの有効期限は{ $minutes }分です。
mail-secret = このコードは誰にも教えないでください。
mail-unasked = このコードに心当たりがない場合は、このメッセージを無視してください。誰かが誤ってあなたのメールアドレスを入力した可能性があります。
