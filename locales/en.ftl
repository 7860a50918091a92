### English — the source language: every other catalog has exactly its messages.

## Page

# The browser tab's title, and the page's heading when no app is named.
page-title = Verify your email
# The heading when an app sent the person here to sign in; $client is the app's name.
continue-to = Continue to { $client }
intro = We will email you a 6-digit code to confirm the address is yours.
email-label = Email address
send-code = Send code
# Above the code field; $email is the address the code went to, shown in bold.
sent-to = We sent a code to { $email }
# A link-like button back to the address field.
change-address = Change address
code-label = 6-digit code
verify = Verify
resend = Resend code
# The resend button while it waits; $seconds counts down to 0 ("s" for seconds).
resend-in = Resend code in { $seconds } s
# $minutes is how long the code stays valid, in whole minutes.
code-sent =
    { $minutes ->
        [one] Code sent. It works for { $minutes } minute.
       *[other] Code sent. It works for { $minutes } minutes.
    }
# After a resend: while a code lives, every email for it carries the same
# code, so the code of an earlier email works too.
code-resent = Sent again. The code stays the same until it expires.
# After a wrong code; $count is how many more codes may be tried.
tries-left =
    { $count ->
        [one] { $count } try left
       *[other] { $count } tries left
    }
wrong-code-tries =
    { $count ->
        [one] That code is not right. { $count } try left.
       *[other] That code is not right. { $count } tries left.
    }
wrong-code-last = That code is not right, and no tries are left. Ask for a new code.
verified-heading = Email verified
# Who is signed in on this device; $email is their address.
signed-in-as = Signed in as { $email }
# Ends the session on this device.
sign-out = Sign out
# Ends every session of this address, on every device.
sign-out-everywhere = Sign out everywhere
# Back to the address field, to confirm another address.
use-another-address = Use another address
# Said on the address screen once the person is signed out.
signed-out = You are signed out.
# Under "Continue to { $client }" when the person signed in here may go on without a code; $email is their address.
continue-as = as { $email }
# Finishes the app's sign-in as the person signed in here, without a code.
continue = Continue
# When the app wants a fresh code although someone is signed in here; $client is the app's name.
new-code-asked = { $client } asks you to confirm with a new code.
# The heading when an app asks to sign the person out; $client is the app's name.
sign-out-of = Sign out of { $client }?
# The same when the app did not name itself.
sign-out-here = Sign out of this service?
# Declines the app's sign-out.
stay-signed-in = Stay signed in
# Said while the page returns to the app; $client is the app's name.
back-to = Taking you back to { $client }.
verified-back-to = Email verified. Taking you back to { $client }.
# Leaves the app's sign-in without signing in.
cancel = Cancel
# After a request got no answer: sends it again.
try-again = Try again
# Names the progress bar while the device solves a short puzzle (spam protection).
checking-device = Checking your device
unreachable = The service could not be reached. Check your connection, then try again.
# The label of the language menu.
language = Language
# Passkeys. The button under the address field: signs in with a passkey this device or phone has, without a code.
passkey-sign-in = Sign in with a passkey
# Offered once after a code was approved.
passkey-offer = Sign in faster next time with a passkey
passkey-create = Create a passkey
# Declines the offer; it is not made again on this device.
not-now = Not now
# Opens the list of the person's passkeys; also the list's heading.
passkeys = Passkeys
passkey-remove = Remove
# $date is when the passkey was added, or last used, as the device writes dates.
passkey-added = Added { $date }
passkey-last-used = Last used { $date }
close = Close

# The service's refusals (an address that does not receive mail, a code that expired, …).
error-invalid-request = The request could not be read. Reload the page and try again.
error-payload-too-large = The request is too large.
error-invalid-email = That does not look like an email address. Check it and try again.
error-invalid-code-format = The code is the 6 digits from the email.
error-unknown-flow = This code request is not known. Ask for a new code.
error-expired = This code has expired. Ask for a new one.
error-already-used = This code has already been used. Ask for a new one if you need to verify again.
error-wrong-code = That code is not right. Check the email and try again.
error-too-many-attempts = Too many wrong tries for this code. Ask for a new one.
error-resend-too-soon = The code was sent a moment ago. Wait a little before asking again.
error-rate-limited = Too many requests. Wait a while and try again.
error-proof-of-work-required = Many codes were sent to this address today. Your device must do a short check first.
error-undeliverable = We cannot send mail to this address right now. Check it for typos or use another address. If it is right, ask this site for help.
error-sign-in-expired = This sign-in has expired or is finished. Go back to the app and start again.
error-logout-expired = This sign-out request has expired or is finished. Go back to the app.
error-unavailable = The service is busy right now. Try again in a moment.
error-internal = Something went wrong on our side. Try again in a moment.

## Mail

# The subject line. The server writes the code and a space before this
# text ("042137 is your Example verification code"): the code comes first, so
# that it shows in notifications. $product is the name of the product that
# asks for the code.
mail-subject = is your { $product } verification code
# The title of the HTML part, which some mail clients show.
mail-title = Your { $product } verification code
# Above the code, which follows on a line of its own.
mail-intro = Your { $product } verification code is:

# The same three when an app's sign-in asked for the code: $app is the
# app's registered name, so that someone sent a code they did not ask for
# can tell where it would go.
mail-subject-app = is your { $product } code for { $app }
mail-title-app = Your { $product } code for { $app }
mail-intro-app = Your { $product } code to sign in to { $app } is:
# $minutes is how long the code stays valid, from 1 to 60.
mail-expiry =
    Enter it on the page where you asked for it. It expires in { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }.
mail-secret = Do not share this code with anyone.
mail-unasked = If you did not ask for this code, ignore this message: someone may have typed your address by mistake.
