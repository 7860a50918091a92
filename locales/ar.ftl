### Arabic (العربية), written right to left.

## Page

page-title = تأكيد البريد الإلكتروني
continue-to = المتابعة إلى { $client }
intro = سنرسل إليك رمزًا من 6 أرقام عبر البريد الإلكتروني لتأكيد أن هذا العنوان يخصّك.
email-label = عنوان البريد الإلكتروني
send-code = إرسال الرمز
sent-to = أرسلنا رمزًا إلى { $email }
change-address = تغيير العنوان
code-label = الرمز المكوّن من 6 أرقام
verify = تحقّق
resend = إعادة إرسال الرمز
# "ث" abbreviates ثانية (second), as "s" does in English.
resend-in = إعادة إرسال الرمز بعد { $seconds } ث
code-sent =
    { $minutes ->
        [zero] تم إرسال الرمز. وهو صالح لمدة { $minutes } دقيقة.
        [one] تم إرسال الرمز. وهو صالح لمدة دقيقة واحدة.
        [two] تم إرسال الرمز. وهو صالح لمدة دقيقتين.
        [few] تم إرسال الرمز. وهو صالح لمدة { $minutes } دقائق.
        [many] تم إرسال الرمز. وهو صالح لمدة { $minutes } دقيقة.
       *[other] تم إرسال الرمز. وهو صالح لمدة { $minutes } دقيقة.
    }
code-resent = أُعيد الإرسال. يبقى الرمز نفسه حتى تنتهي صلاحيته.
tries-left =
    { $count ->
        [zero] لم تتبقَّ أي محاولة
        [one] تبقّت محاولة واحدة
        [two] تبقّت محاولتان
        [few] تبقّت { $count } محاولات
        [many] تبقّت { $count } محاولة
       *[other] تبقّت { $count } محاولة
    }
wrong-code-tries =
    { $count ->
        [zero] الرمز غير صحيح. لم تتبقَّ أي محاولة.
        [one] الرمز غير صحيح. تبقّت محاولة واحدة.
        [two] الرمز غير صحيح. تبقّت محاولتان.
        [few] الرمز غير صحيح. تبقّت { $count } محاولات.
        [many] الرمز غير صحيح. تبقّت { $count } محاولة.
       *[other] الرمز غير صحيح. تبقّت { $count } محاولة.
    }
wrong-code-last = الرمز غير صحيح، ولم تتبقَّ أي محاولة. يُرجى طلب رمز جديد.
verified-heading = تم تأكيد البريد الإلكتروني
signed-in-as = تم تسجيل الدخول باسم { $email }
sign-out = تسجيل الخروج
sign-out-everywhere = تسجيل الخروج من كل الأجهزة
use-another-address = استخدام عنوان آخر
signed-out = تم تسجيل خروجك.
continue-as = باسم { $email }
continue = متابعة
new-code-asked = يطلب منك { $client } التأكيد برمز جديد.
sign-out-of = هل تريد تسجيل الخروج من { $client }؟
sign-out-here = هل تريد تسجيل الخروج من هذه الخدمة؟
stay-signed-in = البقاء مسجّلًا للدخول
back-to = جارٍ إعادتك إلى { $client }.
verified-back-to = تم تأكيد البريد الإلكتروني. جارٍ إعادتك إلى { $client }.
cancel = إلغاء
try-again = إعادة المحاولة
checking-device = جارٍ فحص جهازك
unreachable = تعذّر الوصول إلى الخدمة. يُرجى التحقق من اتصالك ثم إعادة المحاولة.
language = اللغة
passkey-sign-in = تسجيل الدخول بمفتاح مرور
passkey-offer = سجّل الدخول أسرع في المرة القادمة بمفتاح مرور
passkey-create = إنشاء مفتاح مرور
not-now = ليس الآن
passkeys = مفاتيح المرور
passkey-remove = إزالة
passkey-added = أُضيف في { $date }
passkey-last-used = آخر استخدام في { $date }
close = إغلاق

error-invalid-request = تعذّرت قراءة الطلب. يُرجى إعادة تحميل الصفحة والمحاولة مرة أخرى.
error-payload-too-large = الطلب كبير جدًا.
error-invalid-email = لا يبدو هذا عنوان بريد إلكتروني. يُرجى التحقق منه والمحاولة مرة أخرى.
error-invalid-code-format = الرمز هو الأرقام الستة الواردة في البريد الإلكتروني.
error-unknown-flow = طلب الرمز هذا غير معروف. يُرجى طلب رمز جديد.
error-expired = انتهت صلاحية هذا الرمز. يُرجى طلب رمز جديد.
error-already-used = سبق استخدام هذا الرمز. يُرجى طلب رمز جديد إذا كنت بحاجة إلى التأكيد مرة أخرى.
error-wrong-code = الرمز غير صحيح. يُرجى مراجعة البريد الإلكتروني والمحاولة مرة أخرى.
error-too-many-attempts = محاولات خاطئة كثيرة جدًا لهذا الرمز. يُرجى طلب رمز جديد.
error-resend-too-soon = أُرسل الرمز قبل لحظات. يُرجى الانتظار قليلًا قبل الطلب مرة أخرى.
error-rate-limited = طلبات كثيرة جدًا. يُرجى الانتظار بعض الوقت ثم المحاولة مرة أخرى.
error-proof-of-work-required = أُرسلت رموز كثيرة إلى هذا العنوان اليوم. يجب أن يُجري جهازك فحصًا قصيرًا أولًا.
error-undeliverable = لا يمكننا إرسال البريد إلى هذا العنوان حاليًا. يُرجى التحقق من عدم وجود أخطاء في كتابته أو استخدام عنوان آخر. إذا كان صحيحًا، يُرجى طلب المساعدة من هذا الموقع.
error-sign-in-expired = انتهت صلاحية تسجيل الدخول هذا أو اكتمل. يُرجى العودة إلى التطبيق والبدء من جديد.
error-logout-expired = انتهت صلاحية طلب تسجيل الخروج هذا أو اكتمل. يُرجى العودة إلى التطبيق.
error-unavailable = الخدمة مشغولة حاليًا. يُرجى المحاولة مرة أخرى بعد قليل.
error-internal = حدث خطأ من جانبنا. يُرجى المحاولة مرة أخرى بعد قليل.

## Mail

mail-subject = هو رمز التحقق الخاص بك في { $product }
mail-title = رمز التحقق الخاص بك في { $product }
mail-intro = رمز التحقق الخاص بك في { $product } هو:
mail-subject-app = هو رمز { $product } الخاص بك لـ { $app }
mail-title-app = رمز { $product } الخاص بك لـ { $app }
mail-intro-app = رمز { $product } الخاص بك لتسجيل الدخول إلى { $app } هو:
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
