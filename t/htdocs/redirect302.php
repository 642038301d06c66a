<?php
header('Location: /hello.php', true, 302);
