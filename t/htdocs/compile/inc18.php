<?php
function f_18() { return 18; }
