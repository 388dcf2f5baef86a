Title,Author,ISBN
Emma,Jane Austen,9780141439587
