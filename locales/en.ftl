### English — the source language: every other catalog has exactly its messages.

## Page


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
# $minutes is how long the code stays valid, from 1 to 60.
mail-expiry =
    Enter it on the page where you asked for it. It expires in { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }.
mail-secret = Do not share this code with anyone.
mail-unasked = If you did not ask for this code, ignore this message: someone may have typed your address by mistake.
