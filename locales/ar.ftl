### Arabic (العربية), written right to left.

## Page


## Mail

mail-subject = هو رمز التحقق الخاص بك في { $product }
mail-title = رمز التحقق الخاص بك في { $product }
mail-intro = رمز التحقق الخاص بك في { $product } هو:
mail-expiry =
    أدخله في الصفحة التي طلبته منها. تنتهي صلاحيته خلال { $minutes ->
        [zero] { $minutes } دقيقة
        [one] دقيقة واحدة
        [two] دقيقتين
        [few] { $minutes } دقائق
        [many] { $minutes } دقيقة
       *[other] { $minutes } دقيقة
    }.
mail-secret = لا تشارك هذا الرمز مع أي شخص.
mail-unasked = إذا لم تطلب هذا الرمز، فتجاهل هذه الرسالة: ربما كتب أحدهم عنوان بريدك الإلكتروني عن طريق الخطأ.
